"""Lines of text in, one translation per line out (standard output or ``-o FILE``)."""

from __future__ import annotations

import sys
from pathlib import Path

import keras

from deeptasks.common.io import refuse_overwrite, write_text
from deeptasks.errors import UserError
from deeptasks.tasks.translation import data
from deeptasks.tasks.translation.inference import translate


def read_lines(inputs: list[Path]) -> list[str]:
    """Every line of every input (``-`` is standard input), in order."""
    lines: list[str] = []
    for path in inputs:
        if str(path) == "-":
            lines.extend(sys.stdin.read().splitlines())
            continue
        if not Path(path).is_file():
            raise UserError(f"input not found: {path}; give text files (one sentence a line)")
        try:
            lines.extend(Path(path).read_text(encoding="utf-8").splitlines())
        except UnicodeDecodeError:
            raise UserError(f"{path} is not UTF-8 text; give text files") from None
    return lines


def predict(
    model: keras.Model, cfg, inputs: list[Path], out_dir: Path | None, force: bool = False
) -> list[Path]:
    """Translate every line of ``inputs`` (files, or ``-`` for standard input), one
    translation per line in order; empty lines stay empty. With ``out_dir`` (``-o``:
    here a file) they go there, else to standard output."""
    if out_dir is not None:
        refuse_overwrite(Path(out_dir), force)
    found = translate(model, cfg, read_lines(inputs))
    text = "".join(line + "\n" for line in found)
    if out_dir is None:
        sys.stdout.write(text)
        return []
    return [write_text(Path(out_dir), text)]


def example_inputs(cfg, folder: Path) -> list[Path]:
    """The first two test sources, one a line, as a text file in ``folder``."""
    lines = [source for source, _ in data.pairs(cfg, "test")[:2]]
    return [write_text(Path(folder) / "example.txt", "".join(f"{line}\n" for line in lines))]
