"""Document/summary pairs from the configured source, the shared SentencePiece tokenizer,
and tf.data pipelines of ``({"source", "target_in"}, target_out, weights)``."""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

import numpy as np
import tensorflow as tf

from deeptasks.common import hub, tokenizers
from deeptasks.common.seq2seq.codecs import PieceCodec, PresetCodec
from deeptasks.datasets import cache, synopses
from deeptasks.datasets.batching import pair_batches
from deeptasks.datasets.ragged import ragged_rows
from deeptasks.errors import UserError

SYNOPSES = ("debian_synopses", "debian_synopses_sample")
TSV_HELD_OUT = 0.05  # tsv: this share of documents each for val and for test (by hash)
_PAIRS: dict[tuple, list[dict]] = {}
_PROTOS: dict[tuple, bytes] = {}
_PRESET_CODECS: dict[str, PresetCodec] = {}


def check(cfg) -> None:
    d, m = cfg.data, cfg.model
    if d.source == "tsv" and not Path(d.tsv_path).is_file():
        raise UserError(
            f"data.source=tsv needs data.tsv_path, a file of 'document<TAB>summary' lines "
            f"(got '{d.tsv_path}')"
        )
    if d.max_source_tokens < 8 or d.max_target_tokens < 4:
        raise UserError("data.max_source_tokens must be >= 8 and data.max_target_tokens >= 4")
    if d.max_source_tokens > 254:
        raise UserError("data.max_source_tokens must be <= 254 (the position table's size)")
    if m.no_repeat_ngram < 0 or m.no_repeat_ngram == 1:
        raise UserError("model.no_repeat_ngram must be 0 (off) or an n-gram size of at least 2")
    if m.embedding_dim % m.num_heads:
        raise UserError("model.embedding_dim must be a multiple of model.num_heads")
    if (m.name == "bart") != bool(m.preset):
        raise UserError(
            "--model bart fine-tunes a keras-hub BartSeq2SeqLM preset: give it model.preset "
            "(a preset name, with internet, or a local save_to_preset folder), and only it"
        )
    if m.beam_width < 1 or m.max_length_extra < 1:
        raise UserError("model.beam_width and model.max_length_extra must be >= 1")


def read_tsv(path: Path) -> list[dict]:
    """``document<TAB>summary`` lines (empty lines skipped); anything else is an error.
    A literal ``\\n`` in a document is a line break."""
    try:
        lines = Path(path).read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError) as err:
        raise UserError(f"cannot read {path}: {err}; give a UTF-8 text file") from None
    rows = []
    for number, line in enumerate(lines, 1):
        if not line.strip():
            continue
        fields = line.split("\t")
        if len(fields) != 2 or not all(f.strip() for f in fields):
            raise UserError(
                f"{path}:{number}: expected 'document<TAB>summary', got {len(fields)} field(s)"
            )
        document = fields[0].strip().replace("\\n", "\n")
        rows.append({"document": document, "summary": fields[1].strip(), "templated": False})
    return rows


def _tsv_split(document: str) -> str:
    value = int(hashlib.md5(document.encode()).hexdigest()[:8], 16) / 0xFFFFFFFF
    return "test" if value < TSV_HELD_OUT else "val" if value < 2 * TSV_HELD_OUT else "train"


def pairs(cfg, split: str) -> list[dict]:
    """``[{"document", "summary", "templated", ...}]`` of one split, in corpus order."""
    d = cfg.data
    key = (d.source, d.tsv_path, split)
    if key not in _PAIRS:
        if d.source in SYNOPSES:
            found = synopses.load_pairs(split, sample=d.source == "debian_synopses_sample")
        else:
            found = [r for r in read_tsv(Path(d.tsv_path)) if _tsv_split(r["document"]) == split]
        _PAIRS[key] = found
    found = _PAIRS[key]
    limit = {"train": d.train_pairs, "test": d.test_pairs}.get(split, 0)
    return found[:limit] if limit else found


def proto(cfg) -> bytes:
    """The SentencePiece model of documents and summaries, trained on the training split
    (cached in the data dir by what it was trained on)."""
    d, m = cfg.data, cfg.model
    key = (d.source, d.tsv_path, d.train_pairs, m.vocabulary_size)
    if key not in _PROTOS:
        texts = [t for r in pairs(cfg, "train") for t in (r["document"], r["summary"])]
        _PROTOS[key] = tokenizers.cached_sentencepiece(
            texts, m.vocabulary_size, cache.data_dir() / "tokenizers"
        )
    return _PROTOS[key]


def tokenizer(cfg):
    """keras-hub's ``SentencePieceTokenizer`` of :func:`proto` (a model keeps it)."""
    return tokenizers.sentencepiece_tokenizer(proto(cfg))


def codec(cfg):
    """How the run's texts become ids: the SentencePiece model of :func:`proto`, or the
    tokenizer of ``model.preset`` when fine-tuning one."""
    if not cfg.model.preset:
        return PieceCodec(proto(cfg))
    if cfg.model.preset not in _PRESET_CODECS:  # read once, not once per split
        import keras_hub

        found = hub.from_preset(keras_hub.tokenizers.Tokenizer, cfg.model.preset, "tokenizer")
        _PRESET_CODECS[cfg.model.preset] = PresetCodec(found)
    return _PRESET_CODECS[cfg.model.preset]


def build_dataset(cfg, split: str, input_context=None) -> tf.data.Dataset:
    """Padded batches of ``({"source", "target_in"}, target_out, weights)``; weights are
    0 on padding. Training repeats, shuffles and batches pairs of like length; val and
    test are one pass."""
    found = pairs(cfg, split)
    if not found:
        raise UserError(f"the {split} split has no document/summary pairs; check data.source")
    texts = codec(cfg)
    documents = texts.encode([r["document"] for r in found])
    summaries = texts.encode([r["summary"] for r in found])
    dataset = tf.data.Dataset.from_tensor_slices(
        (ragged_rows(documents, np.int32), ragged_rows(summaries, np.int32))
    )
    d = cfg.data
    return pair_batches(
        dataset,
        split,
        cfg.train.batch_size,
        (d.max_source_tokens, d.max_target_tokens),
        d.shuffle_buffer,
        cfg.train.seed,
        input_context,
        texts.bos,
        texts.eos,
    )


def facts(cfg) -> dict:
    """What the models are built from besides their own config: the tokenizer of the
    training split (none for a preset, which brings its own)."""
    return {"tokenizer": None if cfg.model.preset else tokenizer(cfg)}


def describe_data(cfg) -> dict[str, Any]:
    check(cfg)
    d = cfg.data
    info: dict[str, Any] = {
        "corpus": d.source,
        "splits": {split: len(pairs(cfg, split)) for split in ("train", "val", "test")},
        "templated_test_pairs": sum(r["templated"] for r in pairs(cfg, "test")),
        "tokenizer": f"the tokenizer of preset {cfg.model.preset}"
        if cfg.model.preset
        else f"SentencePiece unigram, {cfg.model.vocabulary_size} pieces shared by "
        "documents and summaries, trained on the training split",
    }
    if d.source in SYNOPSES:
        folder = synopses.corpus_dir(sample=d.source == "debian_synopses_sample")
        manifest = cache.read_manifest(folder)
        info.update(
            corpus=f"debian_synopses{'_sample' if 'sample' in d.source else ''}",
            folder=str(folder),
            version=manifest["version"],
            filters=manifest["filters"],
            counts=manifest["counts"],
            sources=manifest["sources"],
        )
    return info
