"""The translators: :mod:`deeptasks.common.seq2seq.models`' GRU with attention and
Transformer, built from the task's config and its one fact, the SentencePiece
``tokenizer`` of the training split; compiled with label smoothing and a warm-up
(:func:`deeptasks.common.seq2seq.objectives.compile_seq2seq`)."""

from __future__ import annotations

from deeptasks.common.seq2seq.models import build_gru_attention, build_transformer
from deeptasks.common.seq2seq.objectives import compile_seq2seq as compile_model
from deeptasks.tasks.base import ModelSpec

__all__ = ["MODELS", "compile_model"]

MODELS = {
    "gru_attention": ModelSpec(
        "gru_attention",
        build_gru_attention,
        "bidirectional GRU encoder, GRU decoder with additive (Bahdanau) attention",
    ),
    "transformer": ModelSpec(
        "transformer",
        build_transformer,
        "Transformer encoder-decoder (keras-hub layers), label smoothing, warm-up",
    ),
}
