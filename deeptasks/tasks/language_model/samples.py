"""What a person reads: continuations of fixed prompts from every sampler, with their
distinct-n and repeated-trigram counts, and validation bits/char over training."""

from __future__ import annotations

import csv
import math
from pathlib import Path

import keras

from deeptasks.common.io import write_json, write_text
from deeptasks.common.plots import plt
from deeptasks.tasks.language_model import data
from deeptasks.tasks.language_model.inference import SAMPLERS, generate

PROMPTS = ("ROMEO. ", "To be, or not", "The king is dead,")
SAMPLE_TOKENS = 80  # per continuation: five samplers x three prompts stay under a minute


def diversity(text: str) -> dict[str, float]:
    """distinct-1/2 (distinct word n-grams / n-grams) and repeated word trigrams."""
    words = text.split()
    result: dict[str, float] = {}
    for n in (1, 2, 3):
        grams = [tuple(words[i : i + n]) for i in range(len(words) - n + 1)]
        if n < 3:
            result[f"distinct_{n}"] = round(len(set(grams)) / len(grams), 3) if grams else 0.0
        else:
            result["repeated_trigrams"] = len(grams) - len(set(grams))
    return result


def write_samples(model: keras.Model, cfg, samples_dir: Path) -> list[Path]:
    """``continuations.txt`` (every sampler, every prompt), ``diversity.json`` and, after
    training, ``val_bits_per_char.png`` from ``history.csv``."""
    lines, stats = [], {}
    tokens = min(SAMPLE_TOKENS, cfg.model.max_length)
    for sampler in SAMPLERS:
        texts = [
            generate(model, cfg, prompt, sampler, cfg.model.temperature, tokens, 0)
            for prompt in PROMPTS
        ]
        stats[sampler] = diversity(" ".join(texts))
        for prompt, text in zip(PROMPTS, texts):
            lines += [f"[{sampler}] {prompt}{text}", ""]
    written = [
        write_text(samples_dir / "continuations.txt", "\n".join(lines)),
        write_json(samples_dir / "diversity.json", stats),
    ]
    history = samples_dir.parent / "history.csv"
    if history.is_file():
        # the loss is nats per scored token; every val token but the first is scored once
        tokens_per_char = (len(data.token_stream(cfg, "val")) - 1) / (
            len(data.split_text(cfg, "val")) - 1
        )
        written.append(_curve(history, tokens_per_char, samples_dir / "val_bits_per_char.png"))
    return written


def _curve(history: Path, tokens_per_char: float, path: Path) -> Path:
    """Validation bits per character over the epochs."""
    with open(history) as handle:
        rows = list(csv.DictReader(handle))
    epochs = [int(row["epoch"]) + 1 for row in rows]
    bits = [float(row["val_loss"]) * tokens_per_char / math.log(2) for row in rows]
    figure, axes = plt.subplots(figsize=(6, 3.5))
    axes.plot(epochs, bits, marker="o")
    axes.set_xlabel("epoch")
    axes.set_ylabel("validation bits per character")
    axes.grid(alpha=0.3)
    figure.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(path, dpi=90)
    plt.close(figure)
    return path
