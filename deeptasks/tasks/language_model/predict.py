"""Prompts in, continuations out; or, with ``--score``, text files in and their bits per
character (model and n-gram baseline) out."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import keras

from deeptasks.common.io import refuse_overwrite, write_text
from deeptasks.errors import UserError
from deeptasks.tasks.language_model import data
from deeptasks.tasks.language_model.evaluation import ngram, ngram_scores, pick_order
from deeptasks.tasks.language_model.inference import generate, score_text


def _read(path: Path) -> str:
    if str(path) == "-":
        return sys.stdin.read()
    if not Path(path).is_file():
        raise UserError(f"input not found: {path}; give UTF-8 text files (or - for stdin)")
    try:
        return Path(path).read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise UserError(f"{path} is not UTF-8 text; convert it (e.g. iconv) first") from None


def _unknown_note(cfg, text: str) -> None:
    """Characters the tokenizer never saw in training are read as its ``<unk>``: said
    once."""
    unknown = data.tokenizer(cfg).unknown(text)
    if unknown:
        print(
            f"note: {len(unknown)} characters the model never saw in training are read as "
            f"<unk>: {unknown[:20]!r}",
            file=sys.stderr,
        )


def predict(
    model: keras.Model,
    cfg,
    inputs: list[Path],
    out_dir: Path | None,
    force: bool = False,
    sampler: str | None = None,
    temperature: float | None = None,
    max_length: int | None = None,
    seed: int | None = None,
    score: bool | None = None,
) -> list[Path]:
    """Continue every prompt of ``inputs`` (one a line; files, or ``-`` for standard
    input), one continuation a line in order; with ``score``, print each input file's
    bits/char and perplexities for the model and the n-gram (``-o``: JSON)."""
    if out_dir is not None:
        refuse_overwrite(Path(out_dir), force)
    texts = [_read(path) for path in inputs]  # all read first: fail before any work
    for text in texts:
        _unknown_note(cfg, text)
    if score:
        return _score(model, cfg, inputs, texts, out_dir)
    m = cfg.model
    length = m.max_length if max_length is None else max_length
    if length < 1:
        raise UserError(f"--max-length must be >= 1; got {length}")
    prompts = [line for text in texts for line in text.splitlines()]
    found = [
        generate(
            model,
            cfg,
            prompt,
            sampler or m.sampler,
            m.temperature if temperature is None else temperature,
            length,
            m.seed if seed is None else seed,
        ).replace("\n", " / ")
        for prompt in prompts
    ]
    lines = "".join(f"{prompt}{text}\n" for prompt, text in zip(prompts, found))
    if out_dir is None:
        sys.stdout.write(lines)
        return []
    return [write_text(Path(out_dir), lines)]


def _score(model, cfg, inputs, texts, out_dir) -> list[Path]:
    order, _ = pick_order(cfg)
    lm = ngram(cfg, order)
    records = []
    for path, text in zip(inputs, texts):
        stream = "\n" + text.strip("\n") + "\n"
        records.append(
            {
                "file": str(path),
                "characters": len(stream) - 1,
                "model": score_text(model, cfg, stream),
                f"kneser_ney_{order}gram": ngram_scores(lm, stream),
            }
        )
        baseline = records[-1][f"kneser_ney_{order}gram"]["bits_per_char"]
        print(
            f"{path}\tmodel {records[-1]['model']['bits_per_char']:.4f} bits/char\t"
            f"{order}-gram {baseline:.4f} bits/char"
        )
    if out_dir is None:
        return []
    return [write_text(Path(out_dir), json.dumps(records, indent=2) + "\n")]


def example_inputs(cfg, folder: Path) -> list[Path]:
    """Two prompts, one a line, as a text file in ``folder``."""
    return [write_text(Path(folder) / "prompts.txt", "ROMEO. \nTo be, or not\n")]
