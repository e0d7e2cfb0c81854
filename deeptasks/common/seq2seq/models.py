"""Encoder-decoders over one shared subword vocabulary: a bidirectional GRU with additive
attention, and a Transformer from keras-hub layers. They hold their keras-hub tokenizer
(saved in the ``.keras`` file), train on ``{"source", "target_in"} -> logits`` and expose
one decoding step for :mod:`deeptasks.common.decoding.seq2seq`. Translation uses them as
they are; summarization adds a copy mechanism to the Transformer."""

from __future__ import annotations

import keras
import keras_hub
from keras import ops

from deeptasks.common.seq2seq.layers import PACKAGE, AttentionGRUDecoder

MAX_POSITIONS = 256  # Transformer position table; decoding never goes past it


class Translator(keras.Model):
    """What both models share: the tokenizer and the (de)serialisation around it."""

    def __init__(self, vocabulary_size: int, tokenizer=None, **kwargs):
        super().__init__(**kwargs)
        self.vocabulary_size = vocabulary_size
        self.tokenizer = tokenizer

    def dummy_inputs(self) -> dict:
        return {"source": ops.ones((1, 3), "int32"), "target_in": ops.ones((1, 2), "int32")}

    def build(self, input_shape=None):
        self.call(self.dummy_inputs())  # every sub-layer builds on a first (tiny) batch
        self.built = True

    def get_config(self):
        config = {**super().get_config(), "vocabulary_size": self.vocabulary_size}
        config["tokenizer"] = (
            keras.saving.serialize_keras_object(self.tokenizer) if self.tokenizer else None
        )
        return config

    @classmethod
    def from_config(cls, config):
        config = dict(config)
        if config.get("tokenizer"):
            config["tokenizer"] = keras.saving.deserialize_keras_object(config["tokenizer"])
        model = cls(**config)
        model(model.dummy_inputs())  # build every layer before the weights are loaded
        return model


@keras.saving.register_keras_serializable(package=PACKAGE)
class GRUTranslator(Translator):
    """Bidirectional GRU encoder, GRU decoder with additive attention (Bahdanau et al.).

    Args:
        vocabulary_size: the shared source/target vocabulary.
        embedding_dim, hidden_dim, attention_dim: layer sizes.
        dropout: on embeddings and decoder outputs.
        tokenizer: a keras-hub tokenizer kept with the model (optional).

    Reference:
        Bahdanau, Cho, Bengio. Neural Machine Translation by Jointly Learning to Align
        and Translate. ICLR 2015.
    """

    def __init__(
        self,
        vocabulary_size: int,
        embedding_dim: int = 256,
        hidden_dim: int = 256,
        attention_dim: int = 256,
        dropout: float = 0.1,
        tokenizer=None,
        **kwargs,
    ):
        super().__init__(vocabulary_size, tokenizer, **kwargs)
        self.embedding_dim, self.hidden_dim = embedding_dim, hidden_dim
        self.attention_dim, self.dropout = attention_dim, dropout
        self.source_embedding = keras.layers.Embedding(vocabulary_size, embedding_dim)
        self.target_embedding = keras.layers.Embedding(vocabulary_size, embedding_dim)
        self.encoder = keras.layers.Bidirectional(
            keras.layers.GRU(hidden_dim, return_sequences=True, return_state=True)
        )
        self.bridge = keras.layers.Dense(hidden_dim, activation="tanh")
        self.decoder = AttentionGRUDecoder(hidden_dim, attention_dim)
        self.drop = keras.layers.Dropout(dropout)
        self.output_projection = keras.layers.Dense(vocabulary_size)

    def encode(self, source, training=None):
        mask = ops.not_equal(source, 0)
        embedded = self.drop(self.source_embedding(source), training=training)
        values, forward, backward = self.encoder(embedded, mask=mask, training=training)
        return values, self.bridge(ops.concatenate([forward, backward], -1)), mask

    def call(self, inputs, training=None, return_attention=False):
        values, state, mask = self.encode(inputs["source"], training)
        embedded = self.drop(self.target_embedding(inputs["target_in"]), training=training)
        outputs, weights = self.decoder(embedded, state, values, mask=mask)
        logits = self.output_projection(self.drop(outputs, training=training))
        return (logits, weights) if return_attention else logits

    def decode_state(self, source, max_length: int) -> dict:
        """Encoder outputs, their attention keys, and the decoder's first state."""
        values, state, mask = self.encode(source)
        keys = self.decoder.attention.project_values(values)
        return {"state": state, "values": values, "keys": keys, "mask": mask}

    def decode_step(self, tokens, index, cache: dict):
        previous = ops.take_along_axis(tokens, ops.full((ops.shape(tokens)[0], 1), index), 1)
        embedded = self.target_embedding(previous[:, 0])
        output, state, _ = self.decoder.step(
            embedded, cache["state"], cache["values"], cache["keys"], cache["mask"]
        )
        log_probs = ops.log_softmax(self.output_projection(output), -1)
        return log_probs, {**cache, "state": state}

    def get_config(self):
        return {
            **super().get_config(),
            "embedding_dim": self.embedding_dim,
            "hidden_dim": self.hidden_dim,
            "attention_dim": self.attention_dim,
            "dropout": self.dropout,
        }


@keras.saving.register_keras_serializable(package=PACKAGE)
class TransformerTranslator(Translator):
    """Transformer encoder-decoder of keras-hub layers; decoding uses their key/value
    caches so each step costs one position.

    Args:
        vocabulary_size: the shared source/target vocabulary.
        embedding_dim, num_layers, num_heads, intermediate_dim, dropout: the usual.
        tokenizer: a keras-hub tokenizer kept with the model (optional).
        tie_embeddings: one table for source and target embeddings and the output layer
            (off by default, as models saved before it existed were built).

    References:
        Press, Wolf. Using the Output Embedding to Improve Language Models. EACL 2017.
        Vaswani et al. Attention Is All You Need. NeurIPS 2017.
    """

    def __init__(
        self,
        vocabulary_size: int,
        embedding_dim: int = 256,
        num_layers: int = 2,
        num_heads: int = 4,
        intermediate_dim: int = 512,
        dropout: float = 0.1,
        tokenizer=None,
        tie_embeddings: bool = False,
        **kwargs,
    ):
        super().__init__(vocabulary_size, tokenizer, **kwargs)
        self.embedding_dim, self.num_layers, self.num_heads = embedding_dim, num_layers, num_heads
        self.intermediate_dim, self.dropout = intermediate_dim, dropout
        self.tie_embeddings = tie_embeddings
        if tie_embeddings:  # one table: source and target tokens in, target logits out
            self.token_embedding = keras_hub.layers.ReversibleEmbedding(
                vocabulary_size,
                embedding_dim,
                embeddings_initializer=keras.initializers.RandomNormal(stddev=embedding_dim**-0.5),
            )
            self.source_positions = keras_hub.layers.PositionEmbedding(MAX_POSITIONS)
            self.target_positions = keras_hub.layers.PositionEmbedding(MAX_POSITIONS)
        else:
            embed = keras_hub.layers.TokenAndPositionEmbedding
            self.source_embedding = embed(vocabulary_size, MAX_POSITIONS, embedding_dim)
            self.target_embedding = embed(vocabulary_size, MAX_POSITIONS, embedding_dim)
        self.encoders = [
            keras_hub.layers.TransformerEncoder(intermediate_dim, num_heads, dropout)
            for _ in range(num_layers)
        ]
        self.decoders = [
            keras_hub.layers.TransformerDecoder(intermediate_dim, num_heads, dropout)
            for _ in range(num_layers)
        ]
        # made last, as before tying existed, so the optimizer state of older runs loads
        if not tie_embeddings:
            self.output_projection = keras.layers.Dense(vocabulary_size)

    def _embed(self, tokens, side: str, start_index=0):
        """Token + position embeddings; the shared table is scaled by sqrt(width)
        (Vaswani et al.). Without the scale, and the table at the untied tables' scale,
        the default preset learnt slower still (val loss 4.53 against 4.45)."""
        if not self.tie_embeddings:
            table = self.source_embedding if side == "source" else self.target_embedding
            return table(tokens, start_index=start_index)
        embedded = self.token_embedding(tokens) * (self.embedding_dim**0.5)
        table = self.source_positions if side == "source" else self.target_positions
        return embedded + table(embedded, start_index=start_index)

    def _logits(self, hidden):
        if self.tie_embeddings:
            return self.token_embedding(hidden, reverse=True)
        return self.output_projection(hidden)

    def encode(self, source, training=None):
        mask = ops.not_equal(source, 0)
        memory = self._embed(source, "source")
        for layer in self.encoders:
            memory = layer(memory, padding_mask=mask, training=training)
        return memory, mask

    def decode_all(self, memory, mask, target, training=None):
        """Every target position at once (teacher forcing): ``(hidden, embedded input)``."""
        embedded = self._embed(target, "target")
        hidden = embedded
        for layer in self.decoders:
            hidden = layer(
                hidden,
                memory,
                decoder_padding_mask=ops.not_equal(target, 0),
                encoder_padding_mask=mask,
                training=training,
            )
        return hidden, embedded

    def call(self, inputs, training=None):
        memory, mask = self.encode(inputs["source"], training)
        hidden, _ = self.decode_all(memory, mask, inputs["target_in"], training)
        return self._logits(hidden)

    def _cache_shape(self, batch, length):
        head = self.embedding_dim // self.num_heads
        return (batch, 2, length, self.num_heads, head)

    def decode_state(self, source, max_length: int) -> dict:
        """Encoder memory, and per layer the cross-attention keys/values (computed here,
        once) and an empty self-attention cache for ``max_length`` + 1 positions."""
        memory, mask = self.encode(source)
        batch = ops.shape(source)[0]
        hidden = self._embed(ops.full((batch, 1), 2, "int32"), "target")  # BOS at 0
        self_caches, cross_caches = [], []
        for layer in self.decoders:
            hidden, self_cache, cross_cache = layer(
                hidden,
                memory,
                encoder_padding_mask=mask,
                self_attention_cache=ops.zeros(self._cache_shape(batch, max_length + 1)),
                self_attention_cache_update_index=0,
                cross_attention_cache=ops.zeros(self._cache_shape(batch, ops.shape(source)[1])),
                cross_attention_cache_update_index=0,
            )
            self_caches.append(self_cache)
            cross_caches.append(cross_cache)
        return {"memory": memory, "mask": mask, "self": self_caches, "cross": cross_caches}

    def decode_hidden(self, tokens, index, cache: dict):
        """One position through the decoder: ``(hidden [N, 1, dim], embedded input
        [N, 1, dim], updated self-attention caches)``."""
        batch = ops.shape(tokens)[0]
        previous = ops.take_along_axis(tokens, ops.full((batch, 1), index), 1)
        embedded = self._embed(previous, "target", start_index=index)
        hidden, self_caches = embedded, []
        for layer, self_cache, cross_cache in zip(self.decoders, cache["self"], cache["cross"]):
            hidden, self_cache, _ = layer(
                hidden,
                cache["memory"],
                encoder_padding_mask=cache["mask"],
                self_attention_cache=self_cache,
                self_attention_cache_update_index=index,
                cross_attention_cache=cross_cache,
                cross_attention_cache_update_index=None,
            )
            self_caches.append(self_cache)
        return hidden, embedded, self_caches

    def decode_step(self, tokens, index, cache: dict):
        hidden, _, self_caches = self.decode_hidden(tokens, index, cache)
        log_probs = ops.log_softmax(self._logits(hidden[:, 0]), -1)
        return log_probs, {**cache, "self": self_caches}

    def get_config(self):
        return {
            **super().get_config(),
            "embedding_dim": self.embedding_dim,
            "num_layers": self.num_layers,
            "num_heads": self.num_heads,
            "intermediate_dim": self.intermediate_dim,
            "dropout": self.dropout,
            "tie_embeddings": self.tie_embeddings,
        }


def build_gru_attention(m, tokenizer) -> keras.Model:
    """The GRU encoder-decoder of model config ``m``, holding the tokenizer of its
    training split."""
    model = GRUTranslator(
        m.vocabulary_size, m.embedding_dim, m.hidden_dim, m.attention_dim, m.dropout, tokenizer
    )
    model(model.dummy_inputs())  # built before fit: BackupAndRestore needs the weights
    return model


def build_transformer(m, tokenizer) -> keras.Model:
    """The Transformer encoder-decoder of model config ``m``, holding the tokenizer of its training
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
