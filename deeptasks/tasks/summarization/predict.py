"""Documents in (text files, one document each; or standard input, documents separated
by blank lines), one summary per line out (standard output or ``-o FILE``)."""

from __future__ import annotations

import copy
import re
import sys
from pathlib import Path

import keras

from deeptasks.common.io import refuse_overwrite, write_text
from deeptasks.errors import UserError
from deeptasks.tasks.summarization import data
from deeptasks.tasks.summarization.inference import summarize, truncated

_BLANK_LINES = re.compile(r"\n\s*\n")


def read_documents(inputs: list[Path]) -> list[str]:
    """A document per input file; standard input (``-``) holds documents separated by
    blank lines. All are read before any work starts."""
    documents: list[str] = []
    for path in inputs:
        if str(path) == "-":
            text = sys.stdin.read()
            documents.extend(d.strip() for d in _BLANK_LINES.split(text) if d.strip())
            continue
        if not Path(path).is_file():
            raise UserError(f"input not found: {path}; give text files (one document each)")
        try:
            text = Path(path).read_text(encoding="utf-8")
        except UnicodeDecodeError:
            raise UserError(f"{path} is not UTF-8 text; convert it (e.g. iconv) first") from None
        if not text.strip():
            raise UserError(f"{path} is empty; give a document to summarize")
        documents.append(text.strip())
    if not documents:
        raise UserError("no documents given; standard input was empty")
    return documents


def predict(
    model: keras.Model,
    cfg,
    inputs: list[Path],
    out_dir: Path | None,
    force: bool = False,
    max_length: int | None = None,
    beam_width: int | None = None,
    no_repeat_ngram: int | None = None,
) -> list[Path]:
    """Summarize every document of ``inputs``, one summary a line in order. With
    ``out_dir`` (``-o``: here a file) they go there, else to standard output. A document
    longer than the model's window is cut, and this says so once on standard error."""
    if out_dir is not None:
        refuse_overwrite(Path(out_dir), force)
    cfg = copy.deepcopy(cfg)
    m = cfg.model
    for name, value in (
        ("max_length", max_length),
        ("beam_width", beam_width),
        ("no_repeat_ngram", no_repeat_ngram),
    ):
        if value is not None and (value < 1 or (name == "no_repeat_ngram" and value == 1)):
            least = "0 (off) or >= 2" if name == "no_repeat_ngram" else ">= 1"
            raise UserError(f"--{name.replace('_', '-')} must be {least}; got {value}")
    if max_length is not None:
        m.max_length_ratio, m.max_length_extra = 0.0, max_length
    m.beam_width = m.beam_width if beam_width is None else beam_width
    m.no_repeat_ngram = m.no_repeat_ngram if no_repeat_ngram is None else no_repeat_ngram
    documents = read_documents(inputs)
    cut = truncated(model, cfg, documents)
    if cut:
        print(
            f"note: {cut} of {len(documents)} documents are longer than the model's window "
            f"of {cfg.data.max_source_tokens} subwords; only their start is summarized",
            file=sys.stderr,
        )
    text = "".join(
        summary.replace("\n", " ") + "\n" for summary in summarize(model, cfg, documents)
    )
    if out_dir is None:
        sys.stdout.write(text)
        return []
    return [write_text(Path(out_dir), text)]


def example_inputs(cfg, folder: Path) -> list[Path]:
    """The first two test documents, one file each, in ``folder``."""
    return [
        write_text(Path(folder) / f"document{i}.txt", row["document"] + "\n")
        for i, row in enumerate(data.pairs(cfg, "test")[:2], 1)
    ]
