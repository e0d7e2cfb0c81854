"""Texts in, texts out with a trained encoder-decoder: batched greedy or beam search
through the model's cached decoding step (:mod:`deeptasks.common.decoding.seq2seq`)."""

from __future__ import annotations

import weakref

import keras
import numpy as np
import tensorflow as tf

from deeptasks.common.decoding import seq2seq
from deeptasks.common.seq2seq.codecs import PieceCodec
from deeptasks.common.seq2seq.models import MAX_POSITIONS
from deeptasks.common.tokenizers import PAD_ID

_STEPS: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def step_function(model: keras.Model):
    """The model's decoding step as one traced TF function (per model)."""
    if model not in _STEPS:
        _STEPS[model] = tf.function(model.decode_step, reduce_retracing=True)
    return _STEPS[model]


def codec_of(model: keras.Model):
    """How ``model`` reads and writes text: its own codec, or its SentencePiece
    tokenizer's."""
    return model.codec() if hasattr(model, "codec") else PieceCodec(model.tokenizer.proto)


def source_ids(codec, texts: list[str], longest: int) -> tuple[list[list[int]], int]:
    """Ids of ``texts``, each cut to ``longest - 1`` and closed by EOS, and how many were
    cut."""
    ids = codec.encode(texts)
    cut = sum(len(row) > longest - 1 for row in ids)
    return [row[: longest - 1] + [codec.eos] for row in ids], cut


def generate(
    model: keras.Model,
    m,
    texts: list[str],
    beam_width: int | None = None,
    longest_source: int = MAX_POSITIONS // 2,
) -> list[str]:
    """The model's output for each of ``texts`` (in order; an empty text gives ""), by
    beam search of width ``beam_width`` (default ``m.beam_width``; 1 = greedy), in
    batches of ``m.decode_batch`` sources of similar length. ``m`` is a model config with
    ``length_penalty``, ``no_repeat_ngram``, ``max_length_ratio`` and ``max_length_extra``
    (an output is at most ``ratio * source subwords + extra`` long). Sources are cut to
    ``longest_source`` subwords."""
    width = m.beam_width if beam_width is None else beam_width
    codec = codec_of(model)
    found = [""] * len(texts)
    todo = [i for i, s in enumerate(texts) if s.strip()]
    if not todo:
        return found
    ids, _ = source_ids(codec, [texts[i] for i in todo], longest_source)
    order = sorted(range(len(todo)), key=lambda k: len(ids[k]))
    step = step_function(model)
    for start in range(0, len(order), m.decode_batch):
        chunk = order[start : start + m.decode_batch]
        lengths = np.array([len(ids[k]) for k in chunk])
        source = np.zeros([len(chunk), lengths.max()], np.int32)
        for row, k in enumerate(chunk):
            source[row, : len(ids[k])] = ids[k]
        limits = seq2seq.max_target_lengths(
            lengths, m.max_length_ratio, m.max_length_extra, MAX_POSITIONS - 2
        )
        state = model.decode_state(tf.constant(source), int(limits.max()))
        if width > 1:
            out = seq2seq.beam_search(
                step,
                state,
                limits,
                codec.bos,
                codec.eos,
                PAD_ID,
                width,
                m.length_penalty,
                m.no_repeat_ngram,
            )
        else:
            out = seq2seq.greedy_search(
                step, state, limits, codec.bos, codec.eos, PAD_ID, m.no_repeat_ngram
            )
        for k, text in zip(chunk, codec.decode(out)):
            found[todo[k]] = text
    return found
