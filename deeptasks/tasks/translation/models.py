"""The translators: :mod:`deeptasks.common.seq2seq.models`' GRU with attention and
Transformer, built from the task's config and its one fact, the SentencePiece
``tokenizer`` of the training split; compiled with label smoothing and a warm-up."""

from __future__ import annotations

import keras

from deeptasks.common.seq2seq.models import GRUTranslator, TransformerTranslator
from deeptasks.common.seq2seq.objectives import SmoothedSparseCrossentropy, WarmupCosineDecay
from deeptasks.common.training import make_optimizer
from deeptasks.tasks.base import ModelSpec
from deeptasks.tasks.translation.config import ModelConfig


def build_gru_attention(m: ModelConfig, tokenizer) -> keras.Model:
    """The GRU translator of config ``m``, holding the tokenizer of its training split."""
    model = GRUTranslator(
        m.vocabulary_size, m.embedding_dim, m.hidden_dim, m.attention_dim, m.dropout, tokenizer
    )
    model(model.dummy_inputs())  # built before fit: BackupAndRestore needs the weights
    return model


def build_transformer(m: ModelConfig, tokenizer) -> keras.Model:
    """The Transformer translator of config ``m``, holding the tokenizer of its training
    split."""
    model = TransformerTranslator(
        m.vocabulary_size,
        m.embedding_dim,
        m.num_layers,
        m.num_heads,
        m.intermediate_dim,
        m.dropout,
        tokenizer,
        m.tie_embeddings,
    )
    model(model.dummy_inputs())
    return model


def compile_model(model: keras.Model, cfg) -> None:
    """Label-smoothed cross-entropy over real target tokens, Adam with warm-up then
    cosine decay (and ``train.ema`` weight averaging); token accuracy (padding left out
    through the sample weights)."""
    t = cfg.train
    schedule = WarmupCosineDecay(
        t.learning_rate, cfg.model.warmup_steps, t.epochs * t.steps_per_epoch
    )
    model.compile(
        optimizer=make_optimizer(t, schedule=schedule, beta_2=0.98),
        loss=SmoothedSparseCrossentropy(cfg.model.label_smoothing),
        weighted_metrics=[keras.metrics.SparseCategoricalAccuracy(name="token_accuracy")],
        jit_compile=cfg.runtime.jit_compile,
    )


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
