"""The copy (pointer-generator) Transformer: a generation probability mixes the
vocabulary distribution with an attention over the source's subwords, so that package
names, library names and numbers can be copied even when they are rare pieces."""

from __future__ import annotations

import keras
from keras import ops

from deeptasks.common.seq2seq.codecs import PresetCodec
from deeptasks.common.seq2seq.models import TransformerTranslator

PACKAGE = "deeptasks.summarization"
EPSILON = 1e-9


def copy_distribution(attention, source, vocabulary_size: int):
    """The attention over source positions as a distribution over the vocabulary:
    ``out[b, t, v] = Σ_s attention[b, t, s] · [source[b, s] = v]`` (a subword that occurs
    twice gets both weights).

    Args:
        attention: ``[batch, target_len, source_len]``, rows summing to 1 over real tokens.
        source: ``[batch, source_len]`` int ids.
    """
    batch, target_len, source_len = (ops.shape(attention)[i] for i in range(3))
    b = ops.broadcast_to(ops.reshape(ops.arange(batch), (-1, 1, 1)), ops.shape(attention))
    t = ops.broadcast_to(ops.reshape(ops.arange(target_len), (1, -1, 1)), ops.shape(attention))
    v = ops.broadcast_to(ops.expand_dims(ops.cast(source, "int32"), 1), ops.shape(attention))
    indices = ops.reshape(ops.stack([b, t, v], -1), (-1, 3))
    return ops.scatter(indices, ops.reshape(attention, (-1,)), (batch, target_len, vocabulary_size))


@keras.saving.register_keras_serializable(package=PACKAGE)
class CopyTransformer(TransformerTranslator):
    """A Transformer encoder-decoder whose output is a pointer-generator mixture
    (See et al. 2017): ``p(w) = p_gen · softmax(logits)(w) + (1 - p_gen) · Σ_{s: x_s = w} a_s``,
    where ``a`` is a single-head copy attention of the last decoder state over the
    encoder's outputs and ``p_gen = σ(w·[h, c, e] + b)`` from the decoder state h, the
    attention's context c and the embedded input e. The model outputs log-probabilities
    (log-softmax leaves them unchanged, so the task's cross-entropy applies).

    Args:
        coverage_weight: > 0 adds See et al.'s coverage loss
            ``Σ_t Σ_s min(a_{t,s}, Σ_{t'<t} a_{t',s})`` (mean over real target tokens,
            times the weight), which discourages attending to the same source again.
        Others: as :class:`~deeptasks.common.seq2seq.models.TransformerTranslator`.

    Reference:
        See, Liu, Manning. Get To The Point: Summarization with Pointer-Generator
        Networks. ACL 2017.
    """

    def __init__(self, vocabulary_size: int, *args, coverage_weight: float = 0.0, **kwargs):
        super().__init__(vocabulary_size, *args, **kwargs)
        self.coverage_weight = coverage_weight
        self.copy_query = keras.layers.Dense(self.embedding_dim, name="copy_query")
        self.copy_key = keras.layers.Dense(self.embedding_dim, use_bias=False, name="copy_key")
        self.generate_gate = keras.layers.Dense(1, name="generate_gate")

    def _copy(self, hidden, embedded, memory, keys, source, mask):
        """``(log p [B, T, V], p_gen [B, T], attention [B, T, S])`` (float32)."""
        query = ops.cast(self.copy_query(hidden), "float32")
        scores = ops.einsum("btd,bsd->bts", query, ops.cast(keys, "float32"))
        scores = scores / (self.embedding_dim**0.5)
        scores = ops.where(ops.expand_dims(mask, 1), scores, ops.full_like(scores, -1e9))
        attention = ops.softmax(scores, axis=-1)
        context = ops.einsum("bts,bsd->btd", attention, ops.cast(memory, "float32"))
        features = ops.concatenate(
            [ops.cast(hidden, "float32"), context, ops.cast(embedded, "float32")], -1
        )
        p_gen = ops.sigmoid(ops.cast(self.generate_gate(features), "float32"))
        vocabulary = ops.softmax(ops.cast(self._logits(hidden), "float32"), -1)
        copied = copy_distribution(attention, source, self.vocabulary_size)
        probs = p_gen * vocabulary + (1.0 - p_gen) * copied
        return ops.log(probs + EPSILON), p_gen[..., 0], attention

    def call(self, inputs, training=None, return_copy=False):
        source, target = inputs["source"], inputs["target_in"]
        memory, mask = self.encode(source, training)
        hidden, embedded = self.decode_all(memory, mask, target, training)
        log_probs, p_gen, attention = self._copy(
            hidden, embedded, memory, self.copy_key(memory), source, mask
        )
        if self.coverage_weight > 0 and training:
            coverage = ops.cumsum(attention, axis=1) - attention  # Σ_{t'<t} a_t'
            per_token = ops.sum(ops.minimum(attention, coverage), -1)
            real = ops.cast(ops.not_equal(target, 0), "float32")
            self.add_loss(
                self.coverage_weight * ops.sum(per_token * real) / ops.maximum(ops.sum(real), 1)
            )
        return (log_probs, 1.0 - p_gen) if return_copy else log_probs

    def decode_state(self, source, max_length: int) -> dict:
        state = super().decode_state(source, max_length)
        return {**state, "source": source, "copy_keys": self.copy_key(state["memory"])}

    def decode_step(self, tokens, index, cache: dict):
        hidden, embedded, self_caches = self.decode_hidden(tokens, index, cache)
        log_probs, _, _ = self._copy(
            hidden,
            embedded,
            cache["memory"],
            cache["copy_keys"],
            cache["source"],
            cache["mask"],
        )
        return log_probs[:, 0], {**cache, "self": self_caches}

    def get_config(self):
        return {**super().get_config(), "coverage_weight": self.coverage_weight}


@keras.saving.register_keras_serializable(package=PACKAGE)
class PresetSeq2Seq(keras.Model):
    """A keras-hub sequence-to-sequence LM (``BartSeq2SeqLM``, its weights from a preset)
    behind this project's encoder-decoder interface: ``{"source", "target_in"} ->
    log-probabilities`` and one cached decoding step for
    :mod:`deeptasks.common.decoding.seq2seq`.

    Ids here are the preset tokenizer's plus one (:class:`PresetCodec`), so that 0 is
    padding as in every other model: inputs are shifted down before the LM sees them
    (padding becomes the LM's own pad id), and the output gets a first column for id 0
    that is never chosen.

    Args:
        lm: a ``keras_hub.models.BartSeq2SeqLM`` (or another Seq2SeqLM with
            ``call_encoder``/``call_decoder_with_cache``), without a preprocessor.
        text_tokenizer: the preset's keras-hub tokenizer.
        pad_id: the LM's padding id (default: the tokenizer's).
    """

    def __init__(self, lm, text_tokenizer, pad_id: int | None = None, **kwargs):
        super().__init__(**kwargs)
        self.lm, self.text_tokenizer = lm, text_tokenizer
        # kept in the config: a loaded tokenizer reads its vocabulary only after this
        self.pad_id = int(text_tokenizer.pad_token_id) if pad_id is None else pad_id

    def codec(self) -> PresetCodec:
        return PresetCodec(self.text_tokenizer)

    def dummy_inputs(self) -> dict:
        return {"source": ops.full((1, 3), 5, "int32"), "target_in": ops.full((1, 2), 5, "int32")}

    def build(self, input_shape=None):
        self.call(self.dummy_inputs())
        self.built = True

    def _unshift(self, ids):
        """``(LM ids, padding mask)`` of shifted ids."""
        mask = ops.not_equal(ids, 0)
        return ops.where(mask, ids - 1, ops.full_like(ids, self.pad_id)), mask

    @staticmethod
    def _shift_logits(logits, never: float = -1e9):
        """A first column (id 0, padding) that is never chosen."""
        return ops.concatenate([ops.full_like(logits[..., :1], never), logits], axis=-1)

    def call(self, inputs, training=None):
        source, source_mask = self._unshift(inputs["source"])
        target, target_mask = self._unshift(inputs["target_in"])
        logits = self.lm(
            {
                "encoder_token_ids": source,
                "encoder_padding_mask": source_mask,
                "decoder_token_ids": target,
                "decoder_padding_mask": target_mask,
            },
            training=training,
        )
        # -1e4, not -1e9: label smoothing's mean over the vocabulary reads this column too
        return self._shift_logits(ops.cast(logits, "float32"), -1e4)

    def decode_state(self, source, max_length: int) -> dict:
        """The encoder's output and empty key/value caches (self-attention for
        ``max_length`` + 1 positions, cross-attention filled here, once)."""
        tokens, mask = self._unshift(source)
        memory = self.lm.call_encoder(tokens, mask)
        backbone = self.lm.backbone
        batch = ops.shape(source)[0]
        shape = [batch, backbone.num_layers, 2, max_length + 1, backbone.num_heads]
        shape.append(backbone.hidden_dim // backbone.num_heads)
        self_cache = ops.zeros(shape, memory.dtype)
        shape[3] = ops.shape(source)[1]
        start = ops.full((batch, 1), int(self.text_tokenizer.start_token_id), "int32")
        _, _, self_cache, cross_cache = self.lm.call_decoder_with_cache(
            memory, mask, start, self_cache, 0, ops.zeros(shape, memory.dtype), 0
        )
        return {"memory": memory, "mask": mask, "self": self_cache, "cross": cross_cache}

    def decode_step(self, tokens, index, cache: dict):
        previous = ops.take_along_axis(tokens, ops.full((ops.shape(tokens)[0], 1), index), 1)
        previous, _ = self._unshift(previous)
        logits, _, self_cache, _ = self.lm.call_decoder_with_cache(
            cache["memory"], cache["mask"], previous, cache["self"], index, cache["cross"], None
        )
        log_probs = ops.log_softmax(ops.cast(logits[:, 0], "float32"), -1)
        return self._shift_logits(log_probs), {**cache, "self": self_cache}

    def get_config(self):
        return {
            **super().get_config(),
            "pad_id": self.pad_id,
            "lm": keras.saving.serialize_keras_object(self.lm),
            "text_tokenizer": keras.saving.serialize_keras_object(self.text_tokenizer),
        }

    @classmethod
    def from_config(cls, config):
        config = dict(config)
        config["lm"] = keras.saving.deserialize_keras_object(config["lm"])
        config["text_tokenizer"] = keras.saving.deserialize_keras_object(config["text_tokenizer"])
        model = cls(**config)
        model(model.dummy_inputs())
        return model
