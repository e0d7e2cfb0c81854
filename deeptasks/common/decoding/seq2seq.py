"""Batched greedy and beam-search decoding for encoder-decoder models.

A model exposes one decoding step::

    step(tokens [N, L + 1] int32, index scalar int32, state) -> (log_probs [N, V], state)

``tokens[:, :index + 1]`` is the prefix so far (``tokens[:, 0]`` is BOS) and
``log_probs`` is the distribution of the token at ``index + 1``. ``state`` is a nest of
tensors whose first dimension is N (encoder memory, recurrent state, attention caches);
beam search reorders it with ``tf.gather`` as beams are chosen. keras-hub's samplers
decode a fixed-length prompt without length normalisation or per-sentence length
limits, so the search lives here; models keep their caches (keras-hub's
``TransformerDecoder`` caches) in ``state``.

Length normalisation is GNMT's: score / ((5 + length) / 6) ** alpha (Wu et al., 2016),
with length counting the EOS. A sentence stops at EOS or at ``max_lengths[b]`` tokens.
``no_repeat_ngram=n`` (> 1) forbids a token that would make an n-gram of ids already in
the sentence's own prefix (the n-gram blocking of Paulus et al., 2018), which stops the
loops ("skalierbares, skalierbares") of a model trained too briefly.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import tensorflow as tf

NEG_INF = -1e9

Step = Callable[[tf.Tensor, tf.Tensor, Any], tuple[tf.Tensor, Any]]


def max_target_lengths(
    source_lengths: np.ndarray, ratio: float, extra: int, cap: int
) -> np.ndarray:
    """Longest output per sentence: ``ratio * source tokens + extra``, at most ``cap``."""
    lengths = np.ceil(np.asarray(source_lengths) * ratio + extra).astype(np.int32)
    return np.clip(lengths, 1, cap)


def length_penalty(lengths: tf.Tensor, alpha: float) -> tf.Tensor:
    return tf.pow((5.0 + tf.cast(lengths, tf.float32)) / 6.0, alpha)


def repeat_bans(tokens: np.ndarray, index: int, n: int) -> tuple[np.ndarray, np.ndarray]:
    """``(rows, ids)``: for each row of ``tokens[:, :index + 1]`` (the prefixes), the ids
    that would repeat one of its n-grams if written next (none when ``n`` < 2)."""
    length = index + 1
    if n < 2 or length < n:
        return np.zeros(0, np.int64), np.zeros(0, tokens.dtype)
    prefix = tokens[:, :length]
    tail = prefix[:, length - n + 1 :]  # the n - 1 latest tokens
    windows = np.lib.stride_tricks.sliding_window_view(prefix[:, : length - 1], n - 1, axis=1)
    rows, starts = np.nonzero((windows == tail[:, None, :]).all(-1))
    return rows, prefix[rows, starts + n - 1]


def _ban_repeats(log_probs: tf.Tensor, tokens: tf.Tensor, index: int, n: int) -> tf.Tensor:
    """``log_probs`` [N, V] with :func:`repeat_bans` set to ``NEG_INF`` (off, and no copy of
    ``tokens`` to the host, when ``n`` < 2)."""
    if n < 2:
        return log_probs
    rows, ids = repeat_bans(tokens.numpy(), index, n)
    if not len(rows):
        return log_probs
    penalty = np.zeros(log_probs.shape, np.float32)
    penalty[rows, ids] = NEG_INF
    return tf.cast(log_probs, tf.float32) + penalty


def _tokens_out(tokens: np.ndarray, eos: int) -> list[list[int]]:
    """Rows of generated ids (BOS dropped) up to, not including, the first EOS."""
    found = []
    for row in tokens[:, 1:]:
        ends = np.flatnonzero(row == eos)
        found.append(row[: ends[0]].tolist() if len(ends) else row.tolist())
    return found


def greedy_search(
    step: Step,
    state: Any,
    max_lengths: np.ndarray,
    bos: int,
    eos: int,
    pad: int = 0,
    no_repeat_ngram: int = 0,
) -> list[list[int]]:
    """The most likely next token at every step, for a batch; returns ids per sentence."""
    max_lengths = np.asarray(max_lengths, np.int32)
    batch, total = len(max_lengths), int(max_lengths.max())
    tokens = tf.concat([tf.fill([batch, 1], bos), tf.fill([batch, total], pad)], axis=1)
    done = tf.zeros([batch], tf.bool)
    limit = tf.constant(max_lengths)
    for index in range(total):
        log_probs, state = step(tokens, tf.constant(index, tf.int32), state)
        log_probs = _ban_repeats(log_probs, tokens, index, no_repeat_ngram)
        token = tf.argmax(log_probs, axis=-1, output_type=tf.int32)
        token = tf.where(index + 1 >= limit, eos, token)
        token = tf.where(done, pad, token)
        column = tf.one_hot(index + 1, total + 1, on_value=True, off_value=False, dtype=tf.bool)
        tokens = tf.where(column[None], token[:, None], tokens)
        done = done | (token == eos)
        if bool(tf.reduce_all(done)):
            break
    return _tokens_out(tokens.numpy(), eos)


def beam_search(
    step: Step,
    state: Any,
    max_lengths: np.ndarray,
    bos: int,
    eos: int,
    pad: int = 0,
    beam_width: int = 4,
    alpha: float = 0.6,
    no_repeat_ngram: int = 0,
) -> list[list[int]]:
    """Length-normalised beam search over a batch; returns the best ids per sentence.

    ``state`` holds one row per sentence; it is tiled to ``beam_width`` rows each here.
    Candidates are ranked by their normalised score at every step, so with
    ``beam_width=1`` this is exactly greedy search (every candidate has the same length).
    """
    max_lengths = np.asarray(max_lengths, np.int32)
    batch, width = len(max_lengths), beam_width
    total = int(max_lengths.max())
    rows = batch * width
    state = tf.nest.map_structure(lambda s: tf.repeat(s, width, axis=0), state)
    tokens = tf.concat(
        [tf.fill([rows, 1], bos), tf.fill([rows, total], pad)], axis=1
    )  # [N, total + 1]
    first_only = np.full([batch, width], NEG_INF, np.float32)
    first_only[:, 0] = 0.0
    scores = tf.constant(first_only)  # [B, K] summed log-probs
    lengths = tf.zeros([batch, width], tf.int32)
    finished = tf.zeros([batch, width], tf.bool)
    limit = tf.constant(max_lengths)[:, None]  # [B, 1]
    for index in range(total):
        log_probs, state = step(tokens, tf.constant(index, tf.int32), state)
        log_probs = _ban_repeats(log_probs, tokens, index, no_repeat_ngram)
        vocab = log_probs.shape[-1]
        log_probs = tf.reshape(tf.cast(log_probs, tf.float32), [batch, width, vocab])
        ids = tf.range(vocab)
        only_pad = tf.where(ids == pad, 0.0, NEG_INF)[None, None]
        only_eos = tf.where(ids == eos, 0.0, NEG_INF)[None, None]
        at_limit = (index + 1 >= limit)[..., None]  # this token must be the last
        log_probs = tf.where(at_limit, log_probs + only_eos, log_probs)
        log_probs = tf.where(finished[..., None], only_pad, log_probs)
        candidates = scores[..., None] + log_probs  # [B, K, V]
        new_lengths = lengths + tf.cast(~finished, tf.int32)
        ranked = candidates / length_penalty(new_lengths, alpha)[..., None]
        _, best = tf.math.top_k(tf.reshape(ranked, [batch, width * vocab]), k=width)
        beam, token = best // vocab, best % vocab  # [B, K]
        scores = tf.gather(tf.reshape(candidates, [batch, -1]), best, batch_dims=1)
        lengths = tf.gather(new_lengths, beam, batch_dims=1)
        finished = tf.gather(finished, beam, batch_dims=1) | (token == eos)
        source_rows = tf.reshape(beam + tf.range(batch)[:, None] * width, [-1])
        tokens = tf.gather(tokens, source_rows)
        column = tf.one_hot(index + 1, total + 1, on_value=True, off_value=False, dtype=tf.bool)
        tokens = tf.where(column[None], tf.reshape(token, [-1, 1]), tokens)
        state = tf.nest.map_structure(lambda s, r=source_rows: tf.gather(s, r), state)
        if bool(tf.reduce_all(finished)):
            break
    final = scores / length_penalty(tf.maximum(lengths, 1), alpha)
    best_beam = tf.argmax(final, axis=1, output_type=tf.int32)
    chosen = tf.gather(tf.reshape(tokens, [batch, width, -1]), best_beam, batch_dims=1)
    return _tokens_out(chosen.numpy(), eos)
