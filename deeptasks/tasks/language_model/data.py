"""Language-model datasets: token windows of the ``english`` corpus.

Each split is one stream: its documents' lines joined by newlines, each document after a
newline (so the first character of a document is predicted from "start of a line", as
the n-gram baseline predicts it). Tokens are characters (every character of the training
split, plus ``<unk>``) or SentencePiece pieces trained on the training split, a newline
being its own token.

* train: endless windows at random offsets of the training stream;
* val/test: windows of the stream that move on by ``data.score_stride`` tokens (half a
  window by default) and score only their new tokens, so every token but the very first
  is predicted exactly once, and after the first window from at least half a window of
  context; the last window is padded and its padding weighs nothing.

Elements are ``({"token_ids", "padding_mask"}, next_token_ids, weights)``.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import tensorflow as tf

from deeptasks.common import hub, tokenizers
from deeptasks.datasets import cache, english
from deeptasks.datasets.batching import evaluation_batches, input_pipeline
from deeptasks.errors import UserError

AUTOTUNE = tf.data.AUTOTUNE
PAD, UNK = 0, 1  # character ids; SentencePiece uses its own (PAD 0, UNK 1)
NEWLINE_PIECE = tokenizers.EOS_ID  # SentencePiece: a newline is the end-of-sentence id


def check(cfg) -> None:
    d = cfg.data
    for source in d.sources:
        if source not in english.SOURCES:
            raise UserError(
                f"unknown data.sources entry '{source}'; valid: {', '.join(english.SOURCES)}"
            )
    if d.sequence_length < 4:
        raise UserError(f"data.sequence_length must be >= 4; got {d.sequence_length}")
    if not 0 <= d.score_stride <= d.sequence_length:
        raise UserError(
            f"data.score_stride must be in 0..{d.sequence_length} (data.sequence_length);"
            f" got {d.score_stride}"
        )
    if cfg.model.preset and cfg.model.name != "gpt":
        raise UserError("model.preset fine-tunes a keras-hub causal LM; use it with --model gpt")
    if d.test_documents < 1 or d.val_documents < 1:
        raise UserError("data.val_documents and data.test_documents must be >= 1")


def _corpus(cfg):
    d = cfg.data
    return english.corpus(
        tuple(d.sources),
        d.folder,
        d.val_documents,
        d.test_documents,
        d.tfds_data_dir,
        d.tfds_sentences,
    )


def documents(cfg) -> dict[str, tuple[tuple[str, str], ...]]:
    return _corpus(cfg)[0]


def split_text(cfg, split: str) -> str:
    """The split as one stream: a newline, then every document's lines and a newline;
    capped at ``data.eval_characters`` for val/test when that is set."""
    text = "".join(f"\n{body.strip()}\n" for _, body in documents(cfg)[split])
    cap = cfg.data.eval_characters
    return text[: cap + 1] if cap and split != "train" else text


class CharacterTokenizer:
    """Characters to ids: 0 padding, 1 ``<unk>``, then ``vocabulary`` in order.

    Example:
        >>> tok = CharacterTokenizer("ab\\n")
        >>> tok.encode("ba\\nc"), tok.decode([3, 2, 4, 1])
        ([3, 2, 4, 1], 'ba\\n?')
    """

    def __init__(self, vocabulary: str):
        self.vocabulary = vocabulary
        self.size = len(vocabulary) + 2
        self._ids = {c: i + 2 for i, c in enumerate(vocabulary)}

    def encode(self, text: str) -> list[int]:
        return [self._ids.get(c, UNK) for c in text]

    def decode(self, ids) -> str:
        return "".join(
            self.vocabulary[i - 2] if i >= 2 else ("?" if i == UNK else "") for i in map(int, ids)
        )

    def unknown(self, text: str) -> str:
        """The distinct characters of ``text`` outside the vocabulary, in order."""
        return "".join(sorted({c for c in text if c not in self._ids}))


class PieceTokenizer:
    """SentencePiece pieces of each line, a newline being ``NEWLINE_PIECE``."""

    def __init__(self, proto: bytes):
        self.proto = proto
        self.size = tokenizers.processor(proto).get_piece_size()

    def encode(self, text: str) -> list[int]:
        lines = text.split("\n")
        ids: list[int] = []
        for index, row in enumerate(tokenizers.encode(self.proto, lines)):
            ids += row + ([NEWLINE_PIECE] if index < len(lines) - 1 else [])
        return ids

    def decode(self, ids) -> str:
        lines, line = [], []
        for i in map(int, ids):
            if i == NEWLINE_PIECE:
                lines.append(line)
                line = []
            elif i > NEWLINE_PIECE:
                line.append(i)
        return "\n".join(tokenizers.decode(self.proto, [*lines, line]))

    def unknown(self, text: str) -> str:
        """The distinct characters of ``text`` that SentencePiece reads as ``<unk>`` (it
        keeps every training character; others have no piece), in order."""
        chars = sorted(set(text) - {"\n"})
        rows = tokenizers.encode(self.proto, chars)
        return "".join(c for c, row in zip(chars, rows, strict=True) if tokenizers.UNK_ID in row)


class PresetTokenizer:
    """A keras-hub preset's own tokenizer (for GPT-2, byte-level BPE: every text encodes),
    applied line by line with the encoding of a newline between lines."""

    def __init__(self, preset: str):
        import keras_hub

        self.preset = preset
        self._tokenizer = hub.from_preset(keras_hub.tokenizers.Tokenizer, preset, "tokenizer")
        self.size = int(self._tokenizer.vocabulary_size())
        self._newline = hub.id_rows(self._tokenizer.tokenize(["\n"]))[0]

    def encode(self, text: str) -> list[int]:
        lines = text.split("\n")
        ids: list[int] = []
        for start in range(0, len(lines), 4096):
            batch = lines[start : start + 4096]
            for index, row in enumerate(hub.id_rows(self._tokenizer.tokenize(batch))):
                ids += row
                if start + index < len(lines) - 1:
                    ids += self._newline
        return ids

    def decode(self, ids) -> str:
        if len(ids) == 0:
            return ""
        text = self._tokenizer.detokenize(np.asarray(ids, np.int32))
        text = text.numpy() if hasattr(text, "numpy") else text
        return text.decode("utf-8", "replace") if isinstance(text, bytes) else str(text)

    def unknown(self, text: str) -> str:
        return ""  # byte-level: every character has an encoding


_TOKENIZERS: dict[tuple, Any] = {}
_STREAMS: dict[tuple, np.ndarray] = {}


def corpus_key(cfg) -> tuple:
    d = cfg.data
    return (
        tuple(d.sources),
        d.folder,
        d.val_documents,
        d.test_documents,
        d.tfds_sentences if "lm1b" in d.sources else 0,
        d.tokenizer,
    )


def tokenizer_key(cfg) -> tuple:
    return corpus_key(cfg) + (cfg.data.vocabulary_size, cfg.model.preset)


def tokenizer(cfg):
    """The run's tokenizer, made from the training split (the same split, the same one),
    or the preset's own when fine-tuning ``model.preset``; once per process."""
    key = tokenizer_key(cfg)
    if key not in _TOKENIZERS:
        train_text = split_text(cfg, "train")
        if cfg.model.preset:
            _TOKENIZERS[key] = PresetTokenizer(cfg.model.preset)
        elif cfg.data.tokenizer == "characters":
            _TOKENIZERS[key] = CharacterTokenizer("".join(sorted(set(train_text))))
        else:
            lines = [line for line in train_text.split("\n") if line]
            folder = cache.data_dir() / "tokenizers"
            proto = tokenizers.cached_sentencepiece(
                lines, cfg.data.vocabulary_size, folder, setting="data.vocabulary_size"
            )
            _TOKENIZERS[key] = PieceTokenizer(proto)
    return _TOKENIZERS[key]


def facts(cfg) -> dict:
    """What the models are built from besides their own config: the vocabulary size and
    the longest context."""
    return {
        "vocabulary_size": tokenizer(cfg).size,
        "sequence_length": cfg.data.sequence_length,
    }


def token_stream(cfg, split: str) -> np.ndarray:
    """The split's stream as token ids, once per process."""
    key = tokenizer_key(cfg) + (cfg.data.eval_characters, split)
    if key not in _STREAMS:
        _STREAMS[key] = np.asarray(tokenizer(cfg).encode(split_text(cfg, split)), np.int32)
    return _STREAMS[key]


def scoring_windows(ids: np.ndarray, length: int, stride: int = 0):
    """``(inputs, targets, weights)`` arrays ``[n, length]`` scoring each of ``ids[1:]``
    exactly once. The first window scores all its targets; each next window moves on by
    ``stride`` tokens (0: ``length``) and scores only its last ``stride``, so every token
    after the first window is predicted from at least ``length - stride`` tokens of
    context (a model that starts each window cold is not scored on its cold start)."""
    stride = stride or length
    if not 0 < stride <= length:
        raise UserError(f"the scoring stride must be in 1..{length}; got {stride}")
    targets_total = len(ids) - 1
    count = 1 + max(-(-(targets_total - length) // stride), 0)
    ends = length + np.arange(count) * stride
    padded = np.zeros(ends[-1] + 1, np.int32)
    padded[: len(ids)] = ids
    starts = ends - length
    inputs = np.stack([padded[s : s + length] for s in starts])
    targets = np.stack([padded[s + 1 : s + length + 1] for s in starts])
    position = starts[:, None] + np.arange(length)[None, :]
    first_scored = np.where(np.arange(count) == 0, 0, ends - stride)[:, None]
    weights = ((position >= first_scored) & (position < targets_total)).astype(np.float32)
    return inputs, targets, weights


def score_stride(cfg) -> int:
    """``data.score_stride``, 0 meaning half the window."""
    return cfg.data.score_stride or max(cfg.data.sequence_length // 2, 1)


def _as_model_input(inputs, targets, weights):
    return {"token_ids": inputs, "padding_mask": tf.ones_like(inputs, tf.bool)}, targets, weights


def build_dataset(cfg, split: str, input_context: tf.distribute.InputContext | None = None):
    """``tf.data.Dataset`` of ``(inputs, targets, weights)`` batches for one split."""
    if split not in english.SPLITS:
        raise UserError(f"unknown split '{split}'; valid: train, val, test")
    batch, _, pipeline_id = input_pipeline(cfg.train.batch_size, input_context)
    length = cfg.data.sequence_length
    if split == "train":
        ids = tf.constant(token_stream(cfg, split))
        if len(ids) <= length + 1:
            raise UserError("the training split is shorter than one window; add documents")
        seed = cfg.train.seed + pipeline_id

        def window(index):
            start = tf.random.stateless_uniform(
                [], [seed, index], 0, tf.shape(ids)[0] - length - 1, tf.int32
            )
            chunk = ids[start : start + length + 1]
            return chunk[:-1], chunk[1:], tf.ones([length], tf.float32)

        windows = tf.data.Dataset.range(2**62).map(
            lambda i: window(tf.cast(i, tf.int32)), num_parallel_calls=AUTOTUNE
        )
        windows = windows.map(_as_model_input)
        return windows.batch(batch, drop_remainder=True).prefetch(AUTOTUNE)
    inputs, targets, weights = scoring_windows(token_stream(cfg, split), length, score_stride(cfg))
    windows = tf.data.Dataset.from_tensor_slices((inputs, targets, weights)).map(_as_model_input)
    return evaluation_batches(windows, batch, input_context).cache().prefetch(AUTOTUNE)


def describe_data(cfg) -> dict[str, Any]:
    check(cfg)
    d = cfg.data
    splits, manifest = _corpus(cfg)
    tok = tokenizer(cfg)
    return {
        "corpus": manifest["corpus"],
        "sources": manifest["sources"],
        "versions": manifest["versions"],
        "splits": {split: len(items) for split, items in splits.items()},
        "documents": {split: [name for name, _ in items] for split, items in splits.items()},
        "characters": {split: len(split_text(cfg, split)) for split in english.SPLITS},
        "tokenizer": f"{d.tokenizer}, {tok.size} ids, made from the training split",
        "tokens": {split: int(len(token_stream(cfg, split))) for split in english.SPLITS},
    }
