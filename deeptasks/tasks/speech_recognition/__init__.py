"""Speech recognition: CTC models on raw 16 kHz audio, WER/CER against a DTW template matcher."""

from deeptasks.tasks.speech_recognition.task import TASK

__all__ = ["TASK"]
