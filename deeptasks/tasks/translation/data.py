"""Sentence pairs from the configured source, the shared SentencePiece tokenizer, and
tf.data pipelines of ``({"source", "target_in"}, target_out, weights)``."""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

import numpy as np
import tensorflow as tf

from deeptasks.common import tokenizers
from deeptasks.datasets import cache, ddtp
from deeptasks.datasets import tfds as tfds_adapters
from deeptasks.datasets.batching import pair_batches
from deeptasks.datasets.ragged import ragged_rows
from deeptasks.errors import UserError

DDTP_SOURCES = ("ddtp", "ddtp_sample")
TSV_HELD_OUT = 0.05  # tsv: this share of sources each for val and for test (by hash)
_PAIRS: dict[tuple, list[tuple[str, str]]] = {}
_PROTOS: dict[tuple, bytes] = {}


def check(cfg) -> None:
    d = cfg.data
    if d.source in DDTP_SOURCES:
        langs = {d.source_lang, d.target_lang}
        if "en" not in langs or len(langs) != 2 or not langs - {"en"} <= set(ddtp.LANGUAGES):
            raise UserError(
                f"ddtp pairs English with {', '.join(ddtp.LANGUAGES)}: set data.source_lang "
                f"and data.target_lang to en and one of them (got {d.source_lang}->{d.target_lang})"
            )
    if d.source == "tsv" and not Path(d.tsv_path).is_file():
        raise UserError(
            f"data.source=tsv needs data.tsv_path, a file of 'source<TAB>target' lines "
            f"(got '{d.tsv_path}')"
        )
    if d.source in ("wmt14", "ted") and not d.tfds_config:
        raise UserError(
            f"data.source={d.source} needs data.tfds_config (e.g. "
            f"{'de-en' if d.source == 'wmt14' else 'pt_to_en'})"
        )
    if d.subword_alpha < 0 or d.subword_copies < 1:
        raise UserError(
            "data.subword_alpha must be >= 0 (0 = no sampling) and data.subword_copies >= 1"
        )
    if cfg.model.no_repeat_ngram < 0 or cfg.model.no_repeat_ngram == 1:
        raise UserError("model.no_repeat_ngram must be 0 (off) or an n-gram size of at least 2")
    if cfg.model.embedding_dim % cfg.model.num_heads:
        raise UserError("model.embedding_dim must be a multiple of model.num_heads")


def read_tsv_pairs(path: Path) -> list[tuple[str, str]]:
    """``source<TAB>target`` lines (empty lines skipped); anything else is an error."""
    try:
        lines = Path(path).read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError) as err:
        raise UserError(f"cannot read {path}: {err}; give a UTF-8 text file") from None
    pairs = []
    for number, line in enumerate(lines, 1):
        if not line.strip():
            continue
        fields = line.split("\t")
        if len(fields) != 2 or not all(f.strip() for f in fields):
            raise UserError(
                f"{path}:{number}: expected 'source<TAB>target', got {len(fields)} field(s)"
            )
        pairs.append((fields[0].strip(), fields[1].strip()))
    return pairs


def _tsv_split(source: str) -> str:
    value = int(hashlib.md5(source.encode()).hexdigest()[:8], 16) / 0xFFFFFFFF
    return "test" if value < TSV_HELD_OUT else "val" if value < 2 * TSV_HELD_OUT else "train"


def pairs(cfg, split: str) -> list[tuple[str, str]]:
    """``[(source sentence, reference translation)]`` of one split."""
    d = cfg.data
    key = (d.source, d.source_lang, d.target_lang, d.tsv_path, d.tfds_config, split)
    if key not in _PAIRS:
        if d.source in DDTP_SOURCES:
            other = d.target_lang if d.source_lang == "en" else d.source_lang
            found = ddtp.load_pairs(split, other, sample=d.source == "ddtp_sample")
            if d.source_lang != "en":
                found = [(tgt, src) for src, tgt in found]
        elif d.source == "tsv":
            found = [p for p in read_tsv_pairs(Path(d.tsv_path)) if _tsv_split(p[0]) == split]
        else:
            found = tfds_adapters.translation_pairs(
                d.source, d.tfds_config, split, d.tfds_data_dir, d.train_pairs
            )
        _PAIRS[key] = found
    found = _PAIRS[key]
    limit = {"train": d.train_pairs, "test": d.test_pairs}.get(split, 0)
    return found[:limit] if limit else found


def proto(cfg) -> bytes:
    """The SentencePiece model shared by both languages, trained on the training split's
    two sides (cached in the data dir by what it was trained on)."""
    d, m = cfg.data, cfg.model
    key = (d.source, d.source_lang, d.target_lang, d.tsv_path, d.tfds_config, d.train_pairs)
    key += (m.vocabulary_size,)
    if key not in _PROTOS:
        sentences = [s for pair in pairs(cfg, "train") for s in pair]
        _PROTOS[key] = tokenizers.cached_sentencepiece(
            sentences, m.vocabulary_size, cache.data_dir() / "tokenizers"
        )
    return _PROTOS[key]


def tokenizer(cfg):
    """keras-hub's ``SentencePieceTokenizer`` of :func:`proto` (a model keeps it)."""
    return tokenizers.sentencepiece_tokenizer(proto(cfg))


def _segmented(cfg, split: str, sources, targets) -> tuple[list, list]:
    """Subword ids of the sources and targets. With ``data.subword_alpha`` > 0 the training
    split is ``data.subword_copies`` copies of itself, each segmented by sampling with its
    own seed, one after the other: every pass over the data sees new segmentations."""
    model_proto, d = proto(cfg), cfg.data
    if split != "train" or d.subword_alpha <= 0:
        return tokenizers.encode(model_proto, sources), tokenizers.encode(model_proto, targets)
    ids: tuple[list, list] = ([], [])
    for copy in range(d.subword_copies):
        seed = cfg.train.seed * 1000 + copy
        ids[0].extend(tokenizers.encode(model_proto, sources, d.subword_alpha, seed))
        ids[1].extend(tokenizers.encode(model_proto, targets, d.subword_alpha, seed))
    return ids


def build_dataset(cfg, split: str, input_context=None) -> tf.data.Dataset:
    """Padded batches of ``({"source", "target_in"}, target_out, weights)``; weights are
    0 on padding. Training repeats and shuffles; val and test are one pass."""
    found = pairs(cfg, split)
    if not found:
        raise UserError(f"the {split} split has no sentence pairs; check data.source")
    sources, targets = zip(*found)
    dataset = tf.data.Dataset.from_tensor_slices(
        tuple(ragged_rows(rows, np.int32) for rows in _segmented(cfg, split, sources, targets))
    )
    return pair_batches(
        dataset,
        split,
        cfg.train.batch_size,
        (cfg.data.max_tokens, cfg.data.max_tokens),
        cfg.data.shuffle_buffer,
        cfg.train.seed,
        input_context,
    )


def facts(cfg) -> dict:
    """What the models are built from besides their own config: the tokenizer of the
    training split."""
    return {"tokenizer": tokenizer(cfg)}


def describe_data(cfg) -> dict[str, Any]:
    check(cfg)
    d = cfg.data
    info: dict[str, Any] = {
        "corpus": d.source,
        "direction": f"{d.source_lang}->{d.target_lang}",
        "splits": {split: len(pairs(cfg, split)) for split in ("train", "val", "test")},
        "tokenizer": f"SentencePiece unigram, {cfg.model.vocabulary_size} pieces shared by "
        "both languages, trained on the training split",
    }
    if d.source in DDTP_SOURCES:
        folder = ddtp.corpus_dir(sample=d.source == "ddtp_sample")
        manifest = cache.read_manifest(folder)
        other = d.target_lang if d.source_lang == "en" else d.source_lang
        info.update(
            corpus=manifest["corpus"],
            folder=str(folder),
            version=manifest["version"],
            filters=manifest["filters"],
            counts=manifest["counts"][f"en-{other}"],
            sources=manifest["sources"],
        )
    return info
