"""Text lines in (files, or ``-`` for standard input), one WAV per line out; a vocoder run
takes WAV files and re-synthesises them from their mel (copy synthesis)."""

from __future__ import annotations

import sys
from pathlib import Path

import keras
import numpy as np

from deeptasks.common.audio import read_audio, resample, write_wav
from deeptasks.common.io import existing_file, refuse_overwrite, write_text
from deeptasks.datasets import tts
from deeptasks.errors import UserError
from deeptasks.tasks.base import model_spec
from deeptasks.tasks.text_to_speech import data
from deeptasks.tasks.text_to_speech.inference import phoneme_ids, speak, vocode


def read_lines(inputs: list[Path]) -> tuple[list[str], int]:
    """``(the non-empty lines of the inputs in order, how many empty lines were skipped)``."""
    lines, empty = [], 0
    for path in inputs:
        if str(path) == "-":
            text = sys.stdin.read()
        else:
            found = existing_file(path, "text file", "text files", "txt")
            try:
                text = found.read_text(encoding="utf-8")
            except UnicodeDecodeError:
                raise UserError(f"{found} is not UTF-8 text; save it as UTF-8") from None
        for line in text.splitlines():
            if line.strip():
                lines.append(" ".join(line.split()))
            else:
                empty += 1
    if not lines:
        raise UserError("the inputs hold no text to speak (every line is empty)")
    return lines, empty


def predict(
    model: keras.Model,
    cfg,
    inputs: list[Path],
    out_dir: Path,
    force: bool = False,
    speed: float = 1.0,
    pitch: float = 0.0,
) -> list[Path]:
    """``out_dir/0001.wav`` ... one per text line (22,050 Hz), never over an existing file
    without ``force``. ``speed`` divides the predicted durations, ``pitch`` shifts the
    predicted F0 by semitones (FastSpeech 2's controls; ``pitch`` needs a model that
    predicts it). A vocoder run re-synthesises audio files instead."""
    out = Path(out_dir)
    if model_spec(cfg).extra["kind"] == "vocoder":
        audio = [resample(read_audio(p), 16000, tts.SAMPLE_RATE) for p in inputs]
        targets = [out / f"{Path(p).stem}_vocoded.wav" for p in inputs]
        for target in targets:
            refuse_overwrite(target, force)
        mels = [tts.log_mel(np.pad(a, (0, -len(a) % tts.HOP))) for a in audio]
        speech = vocode(cfg, mels, model)
    else:
        if pitch and not model_spec(cfg).extra["variances"]:
            raise UserError(
                f"--pitch needs a model that predicts pitch (fastspeech2), not {cfg.model.name}"
            )
        if speed <= 0:
            raise UserError(f"--speed must be > 0 (1 = as trained, 2 = twice as fast); got {speed}")
        lines, empty = read_lines(inputs)
        for line in lines:
            phoneme_ids(cfg, line)  # every line is checked before anything is written
        targets = [out / f"{k:04d}.wav" for k in range(1, len(lines) + 1)]
        for target in targets:
            refuse_overwrite(target, force)
        if empty:
            print(f"skipped {empty} empty line(s)", file=sys.stderr)
        speech = speak(model, cfg, lines, speed, pitch)
        write_text(
            out / "lines.txt", "".join(f"{t.name}\t{line}\n" for t, line in zip(targets, lines))
        )
    return [write_wav(t, s, tts.SAMPLE_RATE) for t, s in zip(targets, speech)]


def example_inputs(cfg, folder: Path) -> list[Path]:
    """Two test sentences as a text file (a vocoder run: the first as a WAV)."""
    items = data.utterances(cfg, "test", 2)
    if model_spec(cfg).extra["kind"] == "vocoder":
        audio = data.reference_audio(items[0])
        return [write_wav(Path(folder) / "example.wav", audio, tts.SAMPLE_RATE)]
    return [write_text(Path(folder) / "sentences.txt", "".join(i["text"] + "\n" for i in items))]
