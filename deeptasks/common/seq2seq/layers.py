"""Additive (Bahdanau) attention and the attentive GRU decoder built on it."""

from __future__ import annotations

import keras
from keras import ops

# Registered under translation's name, where these classes were first saved: runs trained
# before they moved here still load.
PACKAGE = "deeptasks.translation"


@keras.saving.register_keras_serializable(package=PACKAGE)
class BahdanauAttention(keras.layers.Layer):
    """Additive attention: e_ij = vᵀ tanh(U h_j + W s_{i-1}), α_ij = softmax_j(e_ij),
    c_i = Σ_j α_ij h_j.

    Args:
        units: size of the hidden layer inside the score (the rows of U and W).

    Call arguments:
        query: the decoder's previous state s_{i-1}, ``[batch, query_dim]``.
        values: the encoder outputs h_j, ``[batch, source_len, value_dim]``.
        keys: ``project_values(values)`` (U h_j), computed once per sentence.
        mask: ``[batch, source_len]``, True where a source token is real.

    Returns ``(context [batch, value_dim], weights [batch, source_len])``.

    Example:
        >>> attention = BahdanauAttention(16)
        >>> values = keras.random.normal((2, 5, 8))
        >>> context, weights = attention(keras.random.normal((2, 4)), values)

    Reference:
        Bahdanau, Cho, Bengio. Neural Machine Translation by Jointly Learning to Align
        and Translate. ICLR 2015.
    """

    def __init__(self, units: int, **kwargs):
        super().__init__(**kwargs)
        self.units = units
        self.supports_masking = True  # the source mask comes as an argument
        self.value_projection = keras.layers.Dense(units, use_bias=False, name="U")
        self.query_projection = keras.layers.Dense(units, use_bias=True, name="W")
        self.score = keras.layers.Dense(1, use_bias=False, name="v")

    def build(self, query_shape, values_shape=None, keys_shape=None, mask_shape=None):
        values_shape = values_shape or query_shape
        self.value_projection.build(values_shape)
        self.query_projection.build(query_shape)
        self.score.build((None, None, self.units))
        self.built = True

    def compute_mask(self, *args, **kwargs):
        return None

    def project_values(self, values):
        return self.value_projection(values)

    def call(self, query, values, keys=None, mask=None):
        keys = self.project_values(values) if keys is None else keys
        hidden = ops.tanh(keys + ops.expand_dims(self.query_projection(query), 1))
        scores = ops.squeeze(self.score(hidden), -1)  # [batch, source_len]
        if mask is not None:
            scores = ops.where(ops.cast(mask, "bool"), scores, ops.full_like(scores, -1e9))
        weights = ops.softmax(scores, axis=-1)
        context = ops.sum(ops.expand_dims(weights, -1) * values, axis=1)
        return context, weights

    def get_config(self):
        return {**super().get_config(), "units": self.units}


@keras.saving.register_keras_serializable(package=PACKAGE)
class AttentionGRUDecoder(keras.layers.Layer):
    """A GRU decoder that attends to the encoder before every step (Bahdanau et al.):
    the context c_i from s_{i-1} joins the embedded previous token as the GRU's input,
    and the output is ``[s_i, c_i]``.

    Args:
        units: GRU units.
        attention_units: size of the additive attention's hidden layer.

    Call arguments:
        embedded: target-side input embeddings ``[batch, target_len, dim]``.
        initial_state: ``[batch, units]``.
        values: encoder outputs ``[batch, source_len, value_dim]``; mask as above.

    Returns ``(outputs [batch, target_len, units + value_dim],
    weights [batch, target_len, source_len])``.

    Reference:
        Bahdanau, Cho, Bengio. Neural Machine Translation by Jointly Learning to Align
        and Translate. ICLR 2015.
    """

    def __init__(self, units: int, attention_units: int, **kwargs):
        super().__init__(**kwargs)
        self.units, self.attention_units = units, attention_units
        self.supports_masking = True  # the source mask comes as an argument
        self.attention = BahdanauAttention(attention_units, name="attention")
        self.cell = keras.layers.GRUCell(units, name="cell")

    def build(self, embedded_shape, initial_state_shape=None, values_shape=None, mask_shape=None):
        self.attention.build((None, self.units), values_shape)
        self.cell.build((None, embedded_shape[-1] + values_shape[-1]))
        self.built = True

    def compute_mask(self, *args, **kwargs):
        return None

    def step(self, embedded, state, values, keys, mask=None):
        """One step: ``(output [batch, units + value_dim], new state, weights)``."""
        context, weights = self.attention(state, values, keys=keys, mask=mask)
        output, _ = self.cell(ops.concatenate([embedded, context], -1), [state])
        return ops.concatenate([output, context], -1), output, weights

    def call(self, embedded, initial_state, values, mask=None):
        keys = self.attention.project_values(values)

        def one_step(carry, embedded_t):
            output, state, weights = self.step(embedded_t, carry[0], values, keys, mask)
            return (state, output, weights), (state, output, weights)

        # keras' TF scan wants each step's outputs shaped like the carry, so they ride in it
        batch, source_len = ops.shape(values)[0], ops.shape(values)[1]
        start = (
            initial_state,
            ops.zeros((batch, self.units + values.shape[-1]), initial_state.dtype),
            ops.zeros((batch, source_len), initial_state.dtype),
        )
        _, (_, outputs, weights) = ops.scan(one_step, start, ops.transpose(embedded, (1, 0, 2)))
        return ops.transpose(outputs, (1, 0, 2)), ops.transpose(weights, (1, 0, 2))

    def get_config(self):
        return {
            **super().get_config(),
            "units": self.units,
            "attention_units": self.attention_units,
        }
