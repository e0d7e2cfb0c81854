"""What a person reads: test documents with their reference, every baseline's summary
and the model's; for the copy model, how much each output token was copied; and the
run's ``tokenizer.model``."""

from __future__ import annotations

from pathlib import Path

import keras

from deeptasks.common.io import write_text
from deeptasks.common.tokenizers import save_sentencepiece
from deeptasks.tasks.base import model_spec
from deeptasks.tasks.summarization import data
from deeptasks.tasks.summarization.evaluation import outputs
from deeptasks.tasks.summarization.inference import copy_probabilities

SAMPLE_PAIRS = 20


def _cell(text: str) -> str:
    return text.replace("\t", " ").replace("\n", " ¶ ")


def write_samples(model: keras.Model, cfg, samples_dir: Path) -> list[Path]:
    """``summaries.tsv`` (document | reference | each baseline | model) for the first test
    pairs, ``copy.txt`` (the copy model's copy probability per output subword) and the
    run's ``tokenizer.model`` beside ``model.keras``."""
    test = data.pairs(cfg, "test")[:SAMPLE_PAIRS]
    documents = [r["document"] for r in test]
    found, _ = outputs(model, cfg, documents)
    names = [name for name in found if name != "model"] + ["model"]
    lines = ["\t".join(["document", "reference", *names])]
    for i, row in enumerate(test):
        cells = [row["document"], row["summary"], *(found[name][i] for name in names)]
        lines.append("\t".join(_cell(c) for c in cells))
    written = [write_text(samples_dir / "summaries.tsv", "\n".join(lines) + "\n")]
    if model_spec(cfg).extra.get("copies"):
        blocks = []
        for document, summary in zip(documents, found["model"]):
            tokens = copy_probabilities(model, cfg, document, summary)
            blocks.append(
                f"{summary}\n" + " ".join(f"{piece}|{p:.2f}" for piece, p in tokens) + "\n"
            )
        header = "each model summary, then its subwords as piece|P(copied) = 1 - p_gen\n\n"
        written.append(write_text(samples_dir / "copy.txt", header + "\n".join(blocks)))
    if getattr(model, "tokenizer", None) is not None:  # a preset keeps its own tokenizer
        tokenizer_path = samples_dir.parent / "tokenizer.model"
        written.append(save_sentencepiece(model.tokenizer.proto, tokenizer_path))
    return written
