"""What a person listens to and looks at: a held-out sentence as WAVs (reference, lookup
baseline, the model through Griffin-Lim and through the vocoder run) and a figure of the
true vs predicted mel with the phoneme boundaries marked."""

from __future__ import annotations

import io
from pathlib import Path

import keras
import numpy as np

from deeptasks.common.audio import write_wav
from deeptasks.common.io import atomic_write_bytes, write_text
from deeptasks.datasets import tts
from deeptasks.tasks.base import model_spec
from deeptasks.tasks.text_to_speech import baselines, data
from deeptasks.tasks.text_to_speech.inference import acoustic, vocode, vocoder_of


def _figure(true_mel, true_durations, mel, durations, names, title) -> bytes:
    from deeptasks.common.plots import plt

    fig, axes = plt.subplots(2, 1, figsize=(12, 6))
    for axis, image, lengths, label in (
        (axes[0], true_mel, true_durations, "eSpeak NG (reference)"),
        (axes[1], mel, durations, "predicted"),
    ):
        axis.imshow(np.asarray(image).T, origin="lower", aspect="auto", cmap="magma")
        ends = np.cumsum(lengths)
        for start, end, name in zip(ends - lengths, ends, names):
            axis.axvline(start, color="white", linewidth=0.4)
            axis.text((start + end) / 2, 74, name, color="cyan", fontsize=6, ha="center")
        axis.set_ylabel("log-mel band")
        axis.set_title(f"{label}: frames of 11.6 ms, phoneme boundaries marked", fontsize=9)
    fig.suptitle(title, fontsize=10)
    fig.tight_layout()
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=110)
    plt.close(fig)
    return buffer.getvalue()


def write_samples(model: keras.Model, cfg, folder: Path) -> list[Path]:
    folder = Path(folder)
    item = data.utterances(cfg, "test", 1)[0]
    true_mel = np.asarray(item["mel"], np.float32)
    reference = data.reference_audio(item)
    written = [write_wav(folder / "reference.wav", reference, tts.SAMPLE_RATE)]
    if model_spec(cfg).extra["kind"] == "vocoder":
        for name, audio in (
            ("vocoder", vocode(cfg, [true_mel], model)[0]),
            ("griffin_lim", vocode(cfg, [true_mel])[0]),
        ):
            written.append(write_wav(folder / f"true_mel_{name}.wav", audio, tts.SAMPLE_RATE))
        return written
    ids = np.asarray(item["ids"])
    (mel,), (durations,) = acoustic(model, cfg, [ids])
    lookup, _ = baselines.synthesise(cfg, ids)
    outputs = {"lookup_griffin_lim": vocode(cfg, [lookup])[0]}
    outputs["model_griffin_lim"] = vocode(cfg, [mel])[0]
    vocoder = vocoder_of(cfg)
    if vocoder is not None:
        outputs["model_vocoder"] = vocode(cfg, [mel], vocoder)[0]
    for name, audio in outputs.items():
        written.append(write_wav(folder / f"{name}.wav", audio, tts.SAMPLE_RATE))
    names = item["phonemes"].split()
    figure = _figure(true_mel, item["durations"], mel, durations, names, item["text"])
    written.append(atomic_write_bytes(folder / "mel.png", figure))
    written.append(write_text(folder / "text.txt", item["text"] + "\n"))
    return written
