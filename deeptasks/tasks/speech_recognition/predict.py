"""Audio files in, ``file<TAB>transcript`` lines out."""

from __future__ import annotations

import json
from pathlib import Path

import keras

from deeptasks.common.audio import wav_bytes
from deeptasks.common.io import atomic_write_bytes, refuse_overwrite, write_text
from deeptasks.tasks.speech_recognition import data
from deeptasks.tasks.speech_recognition.inference import as_float, transcribe


def predict(
    model: keras.Model, cfg, inputs: list[Path], out_dir: Path, force: bool = False
) -> list[Path]:
    """Print one ``file<TAB>transcript`` line per input; write them to ``out_dir`` when it
    names a ``.txt`` or ``.json`` file, else to ``out_dir/transcripts.txt``."""
    out = Path(out_dir)
    target = out if out.suffix.lower() in (".txt", ".json") else out / "transcripts.txt"
    refuse_overwrite(target, force)
    texts = transcribe(model, cfg, [Path(p) for p in inputs])
    for path, text in zip(inputs, texts):
        print(f"{path}\t{text}")
    if target.suffix.lower() == ".json":
        records = [{"file": str(p), "transcript": t} for p, t in zip(inputs, texts)]
        atomic_write_bytes(target, (json.dumps(records, indent=2) + "\n").encode())
    else:
        write_text(target, "".join(f"{p}\t{t}\n" for p, t in zip(inputs, texts)))
    return [target]


def example_inputs(cfg, folder: Path) -> list[Path]:
    """The first test utterance as a 16 kHz WAV in ``folder``."""
    audio = data.examples(cfg, "test")[0][0]
    return [atomic_write_bytes(Path(folder) / "example.wav", wav_bytes(as_float(audio)))]
