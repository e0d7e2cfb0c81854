"""What a person listens to and looks at: test utterances as WAV, a spectrogram with the
CTC alignment, and reference vs hypothesis transcripts."""

from __future__ import annotations

import io
from pathlib import Path

import keras
import numpy as np

from deeptasks.common.audio import wav_bytes
from deeptasks.common.io import atomic_write_bytes, write_text
from deeptasks.datasets.english_text import ALPHABET
from deeptasks.tasks.speech_recognition import data
from deeptasks.tasks.speech_recognition.decoding import decode, decoder_with_lm
from deeptasks.tasks.speech_recognition.evaluation import SAMPLE_UTTERANCES
from deeptasks.tasks.speech_recognition.inference import as_float, logits


def _alignment_figure(features: np.ndarray, probs: np.ndarray, title: str) -> bytes:
    from deeptasks.common.plots import plt

    fig, axes = plt.subplots(2, 1, figsize=(10, 6), sharex=False)
    axes[0].imshow(features.T, origin="lower", aspect="auto", cmap="magma")
    axes[0].set_ylabel("log-mel band")
    axes[0].set_title("spectrogram (10 ms frames)", fontsize=9)
    axes[1].imshow(probs.T, origin="lower", aspect="auto", cmap="Greys", vmin=0, vmax=1)
    best = np.argmax(probs, axis=-1)
    for frame, label in enumerate(best):
        if label:
            axes[1].text(
                frame,
                label,
                ALPHABET[label - 1].replace(" ", "_"),
                fontsize=7,
                color="red",
                ha="center",
                va="center",
            )
    axes[1].set_yticks(
        range(len(ALPHABET) + 1), ["-"] + [c.replace(" ", "_") for c in ALPHABET], fontsize=6
    )
    axes[1].set_xlabel("output frame (20 ms); red: the best label per frame, '-' = blank")
    axes[1].set_title("CTC alignment: per-frame character probabilities", fontsize=9)
    fig.suptitle(title, fontsize=9, family="monospace")
    fig.tight_layout()
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=90)
    plt.close(fig)
    return buffer.getvalue()


def write_samples(model: keras.Model, cfg, samples_dir: Path) -> list[Path]:
    """For a few test utterances: the audio, a spectrogram + CTC alignment figure, and
    reference vs hypothesis text (greedy and beam) in ``transcripts.txt``."""
    audio, references, rows = data.examples(cfg, "test")
    chosen = list(range(min(SAMPLE_UTTERANCES, len(audio))))
    scores = logits(model, [audio[k] for k in chosen])
    front = keras.Model(model.input, model.get_layer("log_mel").output)
    with_lm = decoder_with_lm(cfg) if cfg.model.lm_order else None
    written, lines = [], []
    for k, one in zip(chosen, scores):
        samples = as_float(audio[k])
        features = np.asarray(front.predict_on_batch(samples[None]))[0]
        greedy, beam = decode([one])[0], decode([one], cfg.model.beam_width)[0]
        voice = rows[k].get("voice", "")
        title = f"ref:    {references[k]}\nhyp:    {greedy}\nvoice:  {voice}"
        probs = np.exp(one - one.max(-1, keepdims=True))
        probs /= probs.sum(-1, keepdims=True)
        written.append(
            atomic_write_bytes(
                samples_dir / f"test{k:02d}_alignment.png",
                _alignment_figure(features, probs, title),
            )
        )
        written.append(atomic_write_bytes(samples_dir / f"test{k:02d}.wav", wav_bytes(samples)))
        lines += [
            f"[test{k:02d}] {voice}",
            f"ref:    {references[k]}",
            f"greedy: {greedy}",
            f"beam:   {beam}",
            *([f"beam+lm: {with_lm([one])[0]}"] if with_lm else []),
            "",
        ]
    written.append(write_text(samples_dir / "transcripts.txt", "\n".join(lines)))
    return written
