"""The Debian Description Translation Project as corpora: parallel sentences (and,
for summarization, long descriptions with their one-line synopses).

Every Debian package has a description: a one-line synopsis and a long text, listed
in ``Translation-en`` under its ``Description-md5``; volunteers translate them into
``Translation-de``, ``Translation-fr``, ... under the same md5. We fetch those lists
with apt (into the data dir, never the system's lists), align records by md5, split
the long texts into paragraphs and sentences, and keep the 1:1 sentence pairs that
pass the filters in :data:`FILTERS`. Splits are by package *family* (see
:func:`family`) so that templated descriptions of one family never cross splits.

The filters are part of the corpus version (:data:`VERSION`): change one, bump it.
They are chosen for clean, leak-free pairs and never to raise a model's score.
"""

from __future__ import annotations

import csv
import gzip
import hashlib
import json
import re
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from deeptasks.datasets import cache, debian
from deeptasks.errors import UserError

VERSION = 1
LANGUAGES = ("de", "fr")  # translated into; the source side is always English here
SPLITS = ("train", "val", "test")
SAMPLE_DIR = Path(__file__).parent / "ddtp_sample"  # real records shipped for tests/smoke
FILTERS = {
    "min_words": 3,  # both sides; the test split is every pair of its families passing these
    "max_words": 60,
    "length_ratio": [0.5, 2.0],  # target / source characters
    "drop": "list items, indented (verbatim) lines, URLs and e-mail addresses, untranslated "
    "pairs (target == source)",
    "alignment": "same number of paragraphs, then same number of sentences per paragraph "
    "(1:1); the synopsis pairs with the synopsis",
    "dedup": "one pair per templated source (lower-cased, package-name words and words with "
    "digits or -_./ masked) per split; val/test drop any template seen in train",
    "split": "by package family: md5 of the family name, 5% test, 5% val",
}
TEST_FRACTION, VAL_FRACTION = 0.05, 0.05
# Families whose members are machine-made from one template (one family each).
ECOSYSTEMS = (
    "r-cran-",
    "r-bioc-",
    "r-other-",
    "golang-",
    "node-",
    "ruby-",
    "php-",
    "python3-",
    "python-",
    "libghc-",
    "haskell-",
    "elpa-",
    "texlive-",
    "fonts-",
    "xfonts-",
    "gir1.2-",
    "hunspell-",
    "myspell-",
    "aspell-",
    "hyphen-",
    "firmware-",
    "linux-",
    "librust-",
    "rust-",
    "ocaml-",
    "lua-",
    "octave-",
    "coq-",
    "puppet-module-",
    "sugar-",
    "trytond-modules-",
    "tryton-modules-",
)
ECOSYSTEM_SUFFIXES = ("-perl", "-java", "-ocaml", "-ocaml-dev", "-cil", "-clojure")
LIST_ITEM = re.compile(r"^\s*(?:[*+•·o-]|\d+[.)]|[a-z][.)])\s")
_URL = re.compile(r"https?://|www\.|ftp://|\S+@\S+\.\w")
_ABBREVIATIONS = (
    "e.g.|i.e.|etc.|vs.|cf.|approx.|incl.|Dr.|Mr.|Mrs.|No.|ca.|bzw.|z.B.|z. B.|d.h.|d. h.|"
    "u.a.|u. a.|usw.|evtl.|ggf.|inkl.|bspw.|v.a.|s.o.|p.ex.|p. ex.|c.-à-d.|env.|cf.|etc.)"
).split("|")
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[\"'«(\[]?[A-ZÄÖÜÉÈÀÂÎÔÇ0-9])")
_TEMPLATE_WORD = re.compile(r"\S*[\d_/.-]\S*")


@dataclass(frozen=True)
class Record:
    """One package description in one language."""

    package: str
    synopsis: str
    paragraphs: tuple[tuple[str, ...] | None, ...]  # None: a list or verbatim paragraph
    body: tuple[str, ...] = ()  # the long description's lines, the first space taken off


def parse_translation(text: str, lang: str) -> dict[str, Record]:
    """``{Description-md5: Record}`` of a ``Translation-<lang>`` file's text."""
    records: dict[str, Record] = {}
    key = f"Description-{lang}:"
    for block in re.split(r"\n\s*\n", text):
        lines = block.split("\n")
        fields = {line.split(":", 1)[0]: line for line in lines if line and line[0] != " "}
        if "Description-md5" not in fields or key.rstrip(":") not in fields:
            continue
        md5 = fields["Description-md5"].split(":", 1)[1].strip()
        package = fields.get("Package", "Package: ?").split(":", 1)[1].strip()
        start = lines.index(fields[key.rstrip(":")])
        synopsis = lines[start].split(":", 1)[1].strip()
        body = []
        for line in lines[start + 1 :]:
            if not line.startswith(" "):
                break
            body.append(line[1:])
        records[md5] = Record(package, synopsis, paragraphs(body), tuple(body))
    return records


def paragraphs(body: list[str]) -> tuple[tuple[str, ...] | None, ...]:
    """Paragraphs of a long description (``.`` lines separate them), each a tuple of its
    lines, or None when it holds a list item or an indented (verbatim) line."""
    found, current = [], []
    for line in [*body, "."]:
        if line.strip() == ".":
            if current:
                clean = all(not ln.startswith(" ") and not LIST_ITEM.match(ln) for ln in current)
                found.append(tuple(current) if clean else None)
            current = []
        else:
            current.append(line)
    return tuple(found)


def split_sentences(paragraph: str) -> list[str]:
    """Sentences of one paragraph: a break after . ! ? before a capital or digit, except
    after the common English, German and French abbreviations."""
    text = " ".join(paragraph.split())
    protected = text
    for index, abbreviation in enumerate(_ABBREVIATIONS):
        protected = protected.replace(abbreviation, f"\x00{index}\x00")
    parts = _SENTENCE_END.split(protected)
    restore = re.compile(r"\x00(\d+)\x00")
    return [restore.sub(lambda m: _ABBREVIATIONS[int(m.group(1))], p).strip() for p in parts]


def family(package: str) -> str:
    """The family a package belongs to: a templated ecosystem (``r-cran``, ``golang``,
    ``lib*-perl``...) as a whole, else the stem shared by ``libfoo1``, ``libfoo-dev``,
    ``foo``, ``foo-data``: ``foo``."""
    for prefix in ECOSYSTEMS:
        if package.startswith(prefix):
            return prefix.rstrip("-")
    for suffix in ECOSYSTEM_SUFFIXES:
        if package.endswith(suffix):
            return suffix.lstrip("-")
    stem = package[3:] if package.startswith("lib") and len(package) > 4 else package
    stem = re.split(r"[-.+]", stem)[0]
    return re.sub(r"\d+$", "", stem) or stem


def split_of(family_name: str) -> str:
    value = int(hashlib.md5(family_name.encode()).hexdigest()[:8], 16) / 0xFFFFFFFF
    if value < TEST_FRACTION:
        return "test"
    return "val" if value < TEST_FRACTION + VAL_FRACTION else "train"


def template_key(sentence: str, package: str) -> str:
    names = {w for w in re.split(r"[-.+]", package.lower()) if len(w) > 1}
    words = [_TEMPLATE_WORD.sub("#", w) for w in sentence.lower().split()]
    return " ".join("#" if w.strip(",;:()") in names else w for w in words)


def keep_pair(source: str, target: str) -> str | None:
    """Why a sentence pair is dropped (a filter's name), or None to keep it."""
    src_words, tgt_words = len(source.split()), len(target.split())
    if min(src_words, tgt_words) < FILTERS["min_words"]:
        return "min_words"
    if max(src_words, tgt_words) > FILTERS["max_words"]:
        return "max_words"
    low, high = FILTERS["length_ratio"]
    if not low <= len(target) / max(len(source), 1) <= high:
        return "length_ratio"
    if _URL.search(source) or _URL.search(target):
        return "url"
    if source == target:
        return "untranslated"
    return None


def aligned_sentences(source: Record, target: Record) -> list[tuple[str, str]]:
    """The 1:1 sentence pairs of two translations of one description (before filters)."""
    pairs = [(source.synopsis, target.synopsis)]
    if len(source.paragraphs) != len(target.paragraphs):
        return pairs
    for src_par, tgt_par in zip(source.paragraphs, target.paragraphs):
        if src_par is None or tgt_par is None:
            continue
        src_sents, tgt_sents = (
            split_sentences(" ".join(src_par)),
            split_sentences(" ".join(tgt_par)),
        )
        if len(src_sents) == len(tgt_sents):
            pairs.extend(zip(src_sents, tgt_sents))
    return pairs


def build_pairs(
    english: dict[str, Record], other: dict[str, Record]
) -> tuple[dict[str, list[tuple[str, str, str]]], dict[str, Any]]:
    """Split -> ``[(english, other, package)]`` and the counts of every step."""
    counts: Counter = Counter()
    by_split: dict[str, list] = {s: [] for s in SPLITS}
    seen: dict[str, set] = {s: set() for s in SPLITS}
    candidates = []
    for md5 in sorted(set(english) & set(other)):
        counts["aligned_descriptions"] += 1
        package = other[md5].package
        for src, tgt in aligned_sentences(english[md5], other[md5]):
            counts["aligned_sentences"] += 1
            reason = keep_pair(src, tgt)
            if reason:
                counts[f"dropped_{reason}"] += 1
                continue
            candidates.append((split_of(family(package)), src, tgt, package))
    # train first, so that val and test can refuse what train already holds
    for split_name in SPLITS:
        for split, src, tgt, package in candidates:
            if split != split_name:
                continue
            key = template_key(src, package)
            if key in seen[split] or (split != "train" and key in seen["train"]):
                counts["dropped_template_duplicate"] += 1
                continue
            seen[split].add(key)
            by_split[split].append((src, tgt, package))
    counts.update({f"pairs_{s}": len(v) for s, v in by_split.items()})
    return by_split, dict(counts)


def read_lists(lists_dir: Path, languages: Iterable[str]) -> tuple[dict, list[dict]]:
    """``{lang: {md5: Record}}`` from every ``*Translation-<lang>*`` file in ``lists_dir``
    (as apt keeps them, or gzipped like the shipped sample) and their provenance."""
    records: dict[str, dict[str, Record]] = {}
    sources = []
    for lang in languages:
        records[lang] = {}
        files = sorted(lists_dir.glob(f"*Translation-{lang}*"))
        if not files:
            raise debian.DebianUnavailable(f"no Translation-{lang} list in {lists_dir}")
        for path in files:
            if path.suffix == ".gz":
                text = gzip.decompress(path.read_bytes()).decode("utf-8", errors="replace")
            else:
                text = debian.read_list(path)
            found = parse_translation(text, lang)
            records[lang].update(found)
            sources.append(
                {
                    "file": path.name,
                    "url": _list_url(path.name),
                    "sha256": cache.sha256(path),
                    "descriptions": len(found),
                }
            )
    return records, sources


def _list_url(name: str) -> str:
    """apt's list file name back to its URL (``_`` stands for ``/``)."""
    stem = re.sub(r"\.(lz4|gz|xz|bz2|zst)$", "", name)
    return "http://" + stem.replace("_", "/") if stem.count("_") > 2 else stem


def _write_tsv(path: Path, rows: list[tuple[str, ...]]) -> None:
    with open(path, "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle, delimiter="\t", quoting=csv.QUOTE_NONE, escapechar="\\")
        writer.writerows(rows)


def read_tsv(path: Path) -> list[tuple[str, ...]]:
    with open(path, newline="", encoding="utf-8") as handle:
        reader = csv.reader(handle, delimiter="\t", quoting=csv.QUOTE_NONE, escapechar="\\")
        return [tuple(row) for row in reader]


def lists_dir(sample: bool) -> Path:
    """The folder of Translation lists: the shipped sample, or apt's (fetched into the data
    dir the first time, English with every language of :data:`LANGUAGES`)."""
    if sample:
        return SAMPLE_DIR
    state = cache.data_dir() / "apt-ddtp"
    if not any((state / "lists").glob("*Translation-en*")):
        debian.fetch_lists(state, ("en", *LANGUAGES))
    return state / "lists"


def _build(tmp: Path, lists_dir: Path) -> dict[str, Any]:
    records, sources = read_lists(lists_dir, ("en", *LANGUAGES))
    counts = {}
    for lang in LANGUAGES:
        by_split, counts[f"en-{lang}"] = build_pairs(records["en"], records[lang])
        (tmp / f"en-{lang}").mkdir()
        for split, rows in by_split.items():
            _write_tsv(tmp / f"en-{lang}" / f"{split}.tsv", rows)
    return {"version": VERSION, "filters": FILTERS, "counts": counts, "sources": sources}


def corpus_dir(sample: bool = False) -> Path:
    """The built corpus (built first if needed): from apt's lists, or from the real
    records shipped in :data:`SAMPLE_DIR` (``sample=True``, no network)."""
    name = f"ddtp{'-sample' if sample else ''}-v{VERSION}"
    try:
        return cache.build_once(name, lambda tmp: _build(tmp, lists_dir(sample)))
    except debian.DebianUnavailable as err:
        raise UserError(
            f"cannot fetch the DDTP lists with apt ({err}); use data.source=ddtp_sample "
            "(shipped records), tsv (data.tsv_path: your pairs) or wmt14/ted (tfds, internet)"
        ) from None


def english_documents(sample: bool = False) -> dict[str, dict[str, str]]:
    """``{split: {family: text}}``: the English descriptions for language models, one
    document per package family (every package of it, by name: its synopsis, then one
    line per prose paragraph), split by :func:`split_of` like the translation pairs, so a
    family held out here is held out there too. One description per package (the
    smallest md5 when the lists carry several versions)."""
    name = f"ddtp-english{'-sample' if sample else ''}-v{VERSION}"

    def build(tmp: Path) -> dict[str, Any]:
        records, sources = read_lists(lists_dir(sample), ("en",))
        by_package: dict[str, Record] = {}
        for md5 in sorted(records["en"]):
            by_package.setdefault(records["en"][md5].package, records["en"][md5])
        families: dict[str, list[str]] = {}
        for package in sorted(by_package):
            record = by_package[package]
            lines = [record.synopsis, *(" ".join(p) for p in record.paragraphs if p)]
            families.setdefault(family(package), []).append("\n".join(lines))
        documents: dict[str, dict[str, str]] = {split: {} for split in SPLITS}
        for name_, texts in sorted(families.items()):
            documents[split_of(name_)][name_] = "\n".join(texts)
        (tmp / "english.json").write_text(json.dumps(documents, ensure_ascii=False))
        counts = {split: len(items) for split, items in documents.items()}
        return {"version": VERSION, "sources": sources, "families": counts}

    try:
        folder = cache.build_once(name, build)
    except debian.DebianUnavailable as err:
        raise UserError(
            f"cannot fetch the DDTP lists with apt ({err}); use data.sources=ddtp_sample "
            "(shipped records) or your own text (files, data.folder)"
        ) from None
    return json.loads((folder / "english.json").read_text(encoding="utf-8"))


def load_pairs(split: str, target: str, sample: bool = False) -> list[tuple[str, str]]:
    """``[(english, target-language)]`` sentence pairs of one split."""
    if target not in LANGUAGES:
        raise UserError(f"ddtp pairs English with {', '.join(LANGUAGES)}; got '{target}'")
    rows = read_tsv(corpus_dir(sample) / f"en-{target}" / f"{split}.tsv")
    return [(row[0], row[1]) for row in rows]
