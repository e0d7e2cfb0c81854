"""The ``debian_synopses`` corpus for summarization: every English package description
in Debian's ``Translation-en`` lists as one pair, its long text (the document, Debian's
formatting normalised by :func:`normalise_body`) and its one-line synopsis (the
summary).

The lists are the DDTP corpora's (:mod:`deeptasks.datasets.ddtp`, apt's lists in the
data dir, or the real records shipped in ``ddtp_sample``), and so is the split: by
package family, so a family held out here is held out from translation and from the
language model's ``ddtp`` source too. The filters are part of the corpus version
(:data:`VERSION`): change one, bump it. They are chosen for clean, leak-free pairs and
never to raise a score. Each pair records whether its family is a templated ecosystem
(``r-cran-*``, ``golang-*``, ...), so results can be given without them.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from pathlib import Path
from typing import Any

from deeptasks.datasets import cache, ddtp, debian
from deeptasks.errors import UserError

_PART_SUFFIX = re.compile(r"(-(dev|doc|docs|data|common|tests?|examples))+$")
VERSION = 2  # 2: templated ecosystems split by the package's own stem
SPLITS = ddtp.SPLITS
FILTERS = {
    "normalise": "' .' lines end paragraphs; each list item is a line of its own without its "
    "marker (indented lines under it continue it); other indented (verbatim) lines are lines "
    "of their own; spaces collapsed; a document is its lines joined by newlines",
    "min_document_words": 20,
    "synopsis_words": [2, 20],
    "dedup": "one description per package (the smallest md5); one pair per template "
    "(synopsis and the document's first 30 words, lower-cased, package-name words and words "
    "with digits or -_./ masked) per split; val/test drop any template seen in train",
    "split": "by package family as the DDTP corpora (md5 of the family name, 5% test, 5% "
    "val), except that a templated ecosystem is not one family: r-cran-foo's is r-cran:foo, "
    "so every split has templated pairs",
}
TEMPLATED = {prefix.rstrip("-") for prefix in ddtp.ECOSYSTEMS} | {
    suffix.lstrip("-") for suffix in ddtp.ECOSYSTEM_SUFFIXES
}


def normalise_body(lines: list[str] | tuple[str, ...]) -> str:
    """A long description's lines (as :class:`ddtp.Record` keeps them) as plain text: one
    line per paragraph, list item or verbatim line.

    Example:
        >>> normalise_body(["Tools for", "foo.", ".", "Features:", " * one", "   more", " * two"])
        'Tools for foo.\\nFeatures:\\none more\\ntwo'
    """
    found: list[str] = []
    current: list[str] = []
    in_item = False

    def flush() -> None:
        text = " ".join(" ".join(current).split())
        if text:
            found.append(text)
        current.clear()

    for line in lines:
        item = ddtp.LIST_ITEM.match(line)
        if line.strip() == ".":
            flush()
            in_item = False
        elif item:
            flush()
            current.append(line[item.end() :])
            in_item = True
        elif line.startswith(" ") and in_item:
            current.append(line)  # continues the list item
        elif line.startswith(" "):  # a verbatim line: a line of its own
            flush()
            current.append(line)
            flush()
        else:
            if in_item:
                flush()
                in_item = False
            current.append(line)
    flush()
    return "\n".join(found)


def keep_pair(document: str, synopsis: str) -> str | None:
    """Why a pair is dropped (a filter's name), or None to keep it."""
    if len(document.split()) < FILTERS["min_document_words"]:
        return "min_document_words"
    low, high = FILTERS["synopsis_words"]
    if not low <= len(synopsis.split()) <= high:
        return "synopsis_words"
    return None


def split_family(package: str) -> str:
    """What decides a package's split here: :func:`ddtp.family`, except in a templated
    ecosystem, where it is the ecosystem and the rest of the name without a ``-dev``,
    ``-doc``... part (``r-cran-ggplot2`` -> ``r-cran:ggplot2``, ``golang-github-foo-bar-dev``
    -> ``golang:github-foo-bar``). With translation's rule every ecosystem is one family,
    so all 37 of them hashed to train: the test split had no templated pair to report on,
    though 44% of training pairs are templated. (The rest's first word, ``github``, would
    make thousands of Go packages one family.)"""
    family = ddtp.family(package)
    if family not in TEMPLATED:
        return family
    rest = package
    for prefix in ddtp.ECOSYSTEMS:
        rest = rest.removeprefix(prefix)
    for suffix in ddtp.ECOSYSTEM_SUFFIXES:
        rest = rest.removesuffix(suffix)
    rest = _PART_SUFFIX.sub("", rest.removeprefix("lib") if rest != package else rest)
    return f"{family}:{rest}"


def build_pairs(english: dict[str, ddtp.Record]) -> tuple[dict[str, list[dict]], dict[str, int]]:
    """``{split: [{"document", "summary", "package", "templated"}]}`` and the counts of
    every step."""
    counts: Counter = Counter()
    by_package: dict[str, ddtp.Record] = {}
    for md5 in sorted(english):
        by_package.setdefault(english[md5].package, english[md5])
    counts["descriptions"] = len(english)
    counts["packages"] = len(by_package)
    candidates = []
    for package in sorted(by_package):
        record = by_package[package]
        document = normalise_body(record.body)
        reason = keep_pair(document, record.synopsis)
        if reason:
            counts[f"dropped_{reason}"] += 1
            continue
        family = ddtp.family(package)
        split = ddtp.split_of(split_family(package))
        candidates.append((split, document, record.synopsis, package, family))
    by_split: dict[str, list[dict]] = {split: [] for split in SPLITS}
    seen: dict[str, set] = {split: set() for split in SPLITS}
    for split_name in SPLITS:  # train first: val and test refuse what train holds
        for split, document, synopsis, package, family in candidates:
            if split != split_name:
                continue
            head = " ".join(document.split()[:30])
            key = ddtp.template_key(f"{synopsis} | {head}", package)
            if key in seen[split] or (split != "train" and key in seen["train"]):
                counts["dropped_template_duplicate"] += 1
                continue
            seen[split].add(key)
            by_split[split].append(
                {
                    "document": document,
                    "summary": synopsis,
                    "package": package,
                    "templated": family in TEMPLATED,
                }
            )
    counts.update({f"pairs_{split}": len(rows) for split, rows in by_split.items()})
    return by_split, dict(counts)


def corpus_dir(sample: bool = False) -> Path:
    """The built corpus (built first if needed): ``<split>.jsonl`` files and a manifest
    with the filters and the counts of every step."""
    name = f"debian-synopses{'-sample' if sample else ''}-v{VERSION}"

    def build(tmp: Path) -> dict[str, Any]:
        records, sources = ddtp.read_lists(ddtp.lists_dir(sample), ("en",))
        by_split, counts = build_pairs(records["en"])
        for split, rows in by_split.items():
            lines = [json.dumps(row, ensure_ascii=False) for row in rows]
            (tmp / f"{split}.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")
        return {"version": VERSION, "filters": FILTERS, "counts": counts, "sources": sources}

    try:
        return cache.build_once(name, build)
    except debian.DebianUnavailable as err:
        raise UserError(
            f"cannot fetch the DDTP lists with apt ({err}); use the shipped records "
            "(data.source=ddtp_sample) or your own pairs"
        ) from None


def load_pairs(split: str, sample: bool = False) -> list[dict]:
    """The pairs of one split, in the corpus's order."""
    path = corpus_dir(sample) / f"{split}.jsonl"
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line]
