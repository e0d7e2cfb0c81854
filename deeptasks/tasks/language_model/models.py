"""Language models: an LSTM with tied input/output embeddings, and a GPT-style Transformer
from keras-hub (``GPT2Backbone`` + ``GPT2CausalLM``, from scratch, with its cached
decoding). Both take ``{"token_ids", "padding_mask"}`` and return next-token logits
``[batch, length, vocabulary]`` in float32, and are built from their config and the
task's facts (``vocabulary_size``, ``sequence_length``).
"""

from __future__ import annotations

import keras
from keras import layers

from deeptasks.common import hub
from deeptasks.common.training import make_optimizer
from deeptasks.errors import UserError
from deeptasks.tasks.base import ModelSpec
from deeptasks.tasks.language_model.config import ModelConfig


def _inputs():
    return {
        "token_ids": keras.Input((None,), dtype="int32", name="token_ids"),
        "padding_mask": keras.Input((None,), dtype="bool", name="padding_mask"),
    }


def lstm(model: ModelConfig, vocabulary_size: int, sequence_length: int) -> keras.Model:
    """Embedding, ``layers`` LSTM layers of ``units`` cells with dropout between them, a
    projection to the embedding width, and the embedding matrix again as the output layer
    (tied weights: fewer parameters, and a better model for the same budget).

    Reference: Press and Wolf, "Using the Output Embedding to Improve Language Models",
    EACL 2017; Merity et al., "Regularizing and Optimizing LSTM Language Models", 2018.
    """
    import keras_hub

    inputs = _inputs()  # padding_mask: taken for the same inputs as gpt, not needed
    embedding = keras_hub.layers.ReversibleEmbedding(
        vocabulary_size, model.embedding_dim, name="embedding"
    )
    x = layers.Dropout(model.dropout, name="embedding_dropout")(embedding(inputs["token_ids"]))
    for index in range(model.layers):
        # Left to right, so the padding after a window's last token never reaches it.
        x = layers.LSTM(model.units, return_sequences=True, name=f"lstm{index}")(x)
        x = layers.Dropout(model.dropout, name=f"dropout{index}")(x)
    if model.units != model.embedding_dim:
        x = layers.Dense(model.embedding_dim, name="project")(x)
    logits = embedding(x, reverse=True)
    logits = layers.Activation("linear", dtype="float32", name="logits")(logits)
    return keras.Model(inputs, logits, name="lstm_lm")


def gpt(model: ModelConfig, vocabulary_size: int, sequence_length: int) -> keras.Model:
    """keras-hub's GPT-2 (pre-norm Transformer decoder blocks, learned positions, tied
    output embedding) at ``layers`` x ``embedding_dim``, from scratch, without a
    preprocessor: it takes token ids, and decodes with its key/value cache.

    With ``model.preset``, the preset's causal LM instead, with its weights, to fine-tune
    (its own size; ``data.sequence_length`` must fit its positions).

    Reference: Radford et al., "Language Models are Unsupervised Multitask Learners", 2019.
    """
    import keras_hub

    if model.preset:
        lm = hub.from_preset(
            keras_hub.models.CausalLM, model.preset, "causal LM", preprocessor=None
        )
        longest = getattr(lm.backbone, "max_sequence_length", None)
        if longest and sequence_length > longest:
            raise UserError(
                f"data.sequence_length {sequence_length} is longer than the preset's "
                f"{longest} positions; set data.sequence_length <= {longest}"
            )
        return lm

    backbone = keras_hub.models.GPT2Backbone(
        vocabulary_size=vocabulary_size,
        num_layers=model.layers,
        num_heads=model.heads,
        hidden_dim=model.embedding_dim,
        intermediate_dim=model.intermediate_dim,
        dropout=model.dropout,
        max_sequence_length=sequence_length,
    )
    return keras_hub.models.GPT2CausalLM(backbone=backbone, preprocessor=None, name="gpt_lm")


def compile_model(model: keras.Model, cfg) -> None:
    """Cross-entropy of the next token, the mean over scored tokens (padding and a scoring
    window's context weigh nothing, and do not count in the mean either), Adam with the
    run's schedule and clipping, next-token accuracy."""
    model.compile(
        optimizer=make_optimizer(cfg.train),
        loss=keras.losses.SparseCategoricalCrossentropy(
            from_logits=True, reduction="mean_with_sample_weight"
        ),
        weighted_metrics=[keras.metrics.SparseCategoricalAccuracy(name="accuracy")],
        jit_compile=cfg.runtime.jit_compile,
    )


MODELS = {
    "lstm": ModelSpec(
        "lstm", lstm, "LSTM language model with tied input/output embeddings (AWD-LSTM style)"
    ),
    "gpt": ModelSpec(
        "gpt",
        gpt,
        "GPT-style Transformer (keras-hub GPT2Backbone + GPT2CausalLM), cached decoding",
        extra={"cached_decoding": True},
    ),
}
