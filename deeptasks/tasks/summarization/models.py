"""Summarizers: the copy (pointer-generator) Transformer, and translation's Transformer
and GRU with attention from :mod:`deeptasks.common.seq2seq` as they are. Each is built
from its config and the task's one fact, the SentencePiece ``tokenizer`` of the training
split, and compiled with label smoothing and a warm-up."""

from __future__ import annotations

import keras

from deeptasks.common import hub
from deeptasks.common.seq2seq.models import build_gru_attention, build_transformer
from deeptasks.common.seq2seq.objectives import compile_seq2seq as compile_model
from deeptasks.tasks.base import ModelSpec
from deeptasks.tasks.summarization.layers import CopyTransformer, PresetSeq2Seq

__all__ = ["MODELS", "compile_model"]


def build_copy_transformer(m, tokenizer) -> keras.Model:
    """The copy Transformer of config ``m``, holding the tokenizer of its training split."""
    model = CopyTransformer(
        m.vocabulary_size,
        m.embedding_dim,
        m.num_layers,
        m.num_heads,
        m.intermediate_dim,
        m.dropout,
        tokenizer,
        m.tie_embeddings,
        coverage_weight=m.coverage_weight,
    )
    model(model.dummy_inputs())  # built before fit: BackupAndRestore needs the weights
    return model


def build_bart(m, tokenizer=None) -> keras.Model:
    """The keras-hub ``BartSeq2SeqLM`` of ``model.preset`` (a name, with internet, or a
    local ``save_to_preset`` folder), with its weights and its own tokenizer, to fine-tune.

    Reference: Lewis et al. BART: Denoising Sequence-to-Sequence Pre-training for
    Natural Language Generation, Translation, and Comprehension. ACL 2020.
    """
    import keras_hub

    lm = hub.from_preset(keras_hub.models.Seq2SeqLM, m.preset, "seq2seq LM", preprocessor=None)
    text_tokenizer = hub.from_preset(keras_hub.tokenizers.Tokenizer, m.preset, "tokenizer")
    model = PresetSeq2Seq(lm, text_tokenizer)
    model(model.dummy_inputs())
    return model


MODELS = {
    "copy_transformer": ModelSpec(
        "copy_transformer",
        build_copy_transformer,
        "Transformer encoder-decoder with a pointer-generator copy head (See et al. 2017)",
        extra={"copies": True},
    ),
    "transformer": ModelSpec(
        "transformer",
        build_transformer,
        "Transformer encoder-decoder (keras-hub layers), label smoothing, warm-up",
    ),
    "gru_attention": ModelSpec(
        "gru_attention",
        build_gru_attention,
        "bidirectional GRU encoder, GRU decoder with additive (Bahdanau) attention",
    ),
    "bart": ModelSpec(
        "bart",
        build_bart,
        "a keras-hub BartSeq2SeqLM preset (model.preset: name or local folder), fine-tuned",
        extra={"preset": True},
    ),
}
