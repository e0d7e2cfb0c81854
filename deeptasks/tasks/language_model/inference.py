"""A trained language model applied to text: its exact negative log-likelihood of a text
(bits per character), and continuations of prompts through keras-hub's samplers."""

from __future__ import annotations

import math
import weakref

import keras
import numpy as np
import tensorflow as tf

from deeptasks.errors import UserError
from deeptasks.tasks.base import model_spec
from deeptasks.tasks.language_model import data

SCORE_BATCH = 32
SAMPLERS = ("greedy", "top_k", "top_p", "beam", "contrastive")
_FORWARD: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()
_CACHED: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def _forward(model: keras.Model):
    """The model's logits of a ``[batch, length]`` id tensor as one traced function per
    model (once per shape): an eager Keras call per generated token costs ~10x more."""
    if model not in _FORWARD:

        def logits(ids):
            mask = keras.ops.ones_like(ids, "bool")
            return model({"token_ids": ids, "padding_mask": mask}, training=False)

        _FORWARD[model] = tf.function(logits, reduce_retracing=True)
    return _FORWARD[model]


def _log_softmax(logits: np.ndarray) -> np.ndarray:
    top = logits.max(axis=-1, keepdims=True)
    return logits - top - np.log(np.exp(logits - top).sum(axis=-1, keepdims=True))


def stream_nats(model: keras.Model, ids: np.ndarray, length: int, stride: int = 0) -> float:
    """-ln P(ids[1:] | ids[0]) in nats: every token but the first predicted once, from at
    most ``length`` tokens of context, windows moving on by ``stride``
    (``data.scoring_windows``)."""
    inputs, targets, weights = data.scoring_windows(np.asarray(ids, np.int32), length, stride)
    total = 0.0
    for start in range(0, len(inputs), SCORE_BATCH):
        chunk = slice(start, start + SCORE_BATCH)
        logits = model.predict_on_batch(
            {"token_ids": inputs[chunk], "padding_mask": np.ones_like(inputs[chunk], bool)}
        )
        log_probs = _log_softmax(np.asarray(logits, np.float64))
        picked = np.take_along_axis(log_probs, targets[chunk][..., None], axis=-1)[..., 0]
        total -= float((picked * weights[chunk]).sum())
    return total


def text_scores(nats: float, text: str, tokens: int) -> dict[str, float]:
    """Bits per character (the headline: fair across tokenizers), perplexity per token and
    per word, of ``nats`` spent on ``text`` (its first character excluded: the context)."""
    characters = max(len(text) - 1, 1)
    words = max(len(text.split()), 1)
    return {
        "bits_per_char": nats / math.log(2) / characters,
        "perplexity": math.exp(nats / max(tokens - 1, 1)),
        "word_perplexity": math.exp(nats / words),
    }


def score_text(model: keras.Model, cfg, text: str) -> dict[str, float]:
    """The model's scores of ``text`` read as a stream that starts a new line."""
    stream = text if text.startswith("\n") else "\n" + text
    ids = np.asarray(data.tokenizer(cfg).encode(stream), np.int32)
    nats = stream_nats(model, ids, cfg.data.sequence_length, data.score_stride(cfg))
    return text_scores(nats, stream, len(ids))


def make_sampler(name: str, temperature: float, seed: int):
    """A fresh keras-hub sampler (a fresh one per call: the same seed, the same text)."""
    import keras_hub

    if name not in SAMPLERS:
        raise UserError(f"unknown sampler '{name}'; valid: {', '.join(SAMPLERS)}")
    if temperature <= 0:
        raise UserError(f"--temperature must be > 0; got {temperature}")
    samplers = keras_hub.samplers
    return {
        "greedy": lambda: samplers.GreedySampler(temperature=temperature),
        "top_k": lambda: samplers.TopKSampler(k=10, seed=seed, temperature=temperature),
        "top_p": lambda: samplers.TopPSampler(p=0.9, seed=seed, temperature=temperature),
        "beam": lambda: samplers.BeamSampler(num_beams=4, temperature=temperature),
        "contrastive": lambda: samplers.ContrastiveSampler(k=5, alpha=0.6, temperature=temperature),
    }[name]()


def _cache_functions(model: keras.Model):
    """keras-hub's ``_build_cache`` (one pass over the prompt) and ``call_with_cache``
    (one new token against the cached keys and values), traced once per model."""
    if model not in _CACHED:
        _CACHED[model] = (
            tf.function(model._build_cache, reduce_retracing=True),
            tf.function(model.call_with_cache, reduce_retracing=True),
        )
    return _CACHED[model]


def _fill(model: keras.Model, sampler, buffer: np.ndarray, start: int, cached: bool):
    """``buffer`` [1, n] with the tokens from ``start`` on chosen by ``sampler``: through the
    model's key/value cache (what keras-hub's ``generate_step`` does, with traced calls),
    or by running the whole prefix again for every new token."""
    mask = np.arange(buffer.shape[1])[None, :] < start
    if cached:
        build_cache, call_with_cache = _cache_functions(model)
        hidden, cache = build_cache(tf.constant(buffer))

        def next_cached(prompt, cache, index):
            token = keras.ops.slice(prompt, [0, index - 1], [keras.ops.shape(prompt)[0], 1])
            logits, states, cache = call_with_cache(token, cache, index - 1)
            return logits[:, 0], states[:, 0], cache

        out = sampler(
            next=next_cached,
            prompt=buffer,
            cache=cache,
            index=start,
            mask=mask,
            hidden_states=hidden,
            model=model,
        )
        return np.asarray(out)

    forward = _forward(model)

    def next_token(prompt, cache, index):
        last = keras.ops.take(forward(keras.ops.convert_to_tensor(prompt)), index - 1, axis=1)
        return last, last, cache

    hidden = forward(tf.constant(buffer))
    out = sampler(
        next=next_token, prompt=buffer, index=start, mask=mask, hidden_states=hidden, model=model
    )
    return np.asarray(out)


def generate(
    model: keras.Model,
    cfg,
    prompt: str,
    sampler: str = "top_k",
    temperature: float = 1.0,
    max_length: int = 200,
    seed: int = 0,
    cached: bool | None = None,
) -> str:
    """A continuation of ``prompt`` (read as a new line) of ``max_length`` tokens. The
    context is the last ``data.sequence_length`` tokens at most: past that, generation goes
    on from the last half window. ``cached``: through the key/value cache (the default for
    models that have one)."""
    if cached is None:
        cached = bool(model_spec(cfg).extra.get("cached_decoding"))
    tokenizer, window = data.tokenizer(cfg), cfg.data.sequence_length
    ids = tokenizer.encode("\n" + prompt)
    produced: list[int] = []
    while len(produced) < max_length:
        history = ids + produced
        context = history if len(history) < window else history[-(window // 2) :]
        steps = min(max_length - len(produced), window - len(context))
        buffer = np.zeros((1, len(context) + steps), np.int32)
        buffer[0, : len(context)] = context
        filled = _fill(
            model, make_sampler(sampler, temperature, seed), buffer, len(context), cached
        )
        produced += filled[0, len(context) :].tolist()
    return continuation_text(tokenizer, ids, produced)


def continuation_text(tokenizer, ids: list[int], produced: list[int]) -> str:
    """The text of ``produced`` as it follows ``ids``: decoded together and the prompt's
    text taken off, since a subword decoder drops the space that opens a line's first
    piece (``"▁the"`` alone decodes to ``"the"``, after ``"not"`` to ``" the"``)."""
    head, whole = tokenizer.decode(ids), tokenizer.decode(ids + produced)
    return whole[len(head) :] if whole.startswith(head) else tokenizer.decode(produced)
