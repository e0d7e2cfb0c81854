"""The speech recognition task, assembled: CTC recognisers of eSpeak NG speech (or
LibriSpeech, or a user's folder) against a DTW template matcher, scored by WER/CER."""

from __future__ import annotations

from deeptasks.tasks.base import Task
from deeptasks.tasks.speech_recognition import data, evaluation, models, predict, samples
from deeptasks.tasks.speech_recognition.config import PRESETS

TASK = Task(
    name="speech_recognition",
    unit="utterances",
    description="CTC speech recognition (BLSTM-CTC, DFCNN-CTC) on eSpeak NG speech; WER/CER",
    presets=PRESETS,
    models=models.MODELS,
    build_dataset=data.build_dataset,
    compile_model=models.compile_model,
    evaluate=evaluation.evaluate,
    predict=predict.predict,
    example_inputs=predict.example_inputs,
    write_samples=samples.write_samples,
    describe_data=data.describe_data,
    bench=evaluation.bench,
    headline_metric="cer",
    monitor=("val_loss", "min"),
    check=data.check,
)
