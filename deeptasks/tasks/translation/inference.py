"""Translating sentences with a trained model: batched greedy or beam search through the
model's cached decoding step."""

from __future__ import annotations

import weakref

import keras
import numpy as np
import tensorflow as tf

from deeptasks.common import tokenizers
from deeptasks.common.decoding import seq2seq
from deeptasks.common.tokenizers import BOS_ID, EOS_ID, PAD_ID
from deeptasks.tasks.translation.models import MAX_POSITIONS

_STEPS: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def step_function(model: keras.Model):
    """The model's decoding step as one traced TF function (per model)."""
    if model not in _STEPS:
        _STEPS[model] = tf.function(model.decode_step, reduce_retracing=True)
    return _STEPS[model]


def translate(model: keras.Model, cfg, sentences: list[str], beam_width: int | None = None):
    """Translations of ``sentences`` (in order), by beam search of the configured width
    (``beam_width=1``: greedy), batched by similar source length."""
    width = cfg.model.beam_width if beam_width is None else beam_width
    proto = model.tokenizer.proto
    found = [""] * len(sentences)
    todo = [i for i, s in enumerate(sentences) if s.strip()]
    if not todo:
        return found
    longest = MAX_POSITIONS // 2
    ids = [
        row[: longest - 1] + [EOS_ID]
        for row in tokenizers.encode(proto, [sentences[i] for i in todo])
    ]
    order = sorted(range(len(todo)), key=lambda k: len(ids[k]))
    step = step_function(model)
    m = cfg.model
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
                BOS_ID,
                EOS_ID,
                PAD_ID,
                width,
                m.length_penalty,
                m.no_repeat_ngram,
            )
        else:
            out = seq2seq.greedy_search(
                step, state, limits, BOS_ID, EOS_ID, PAD_ID, m.no_repeat_ngram
            )
        texts = tokenizers.decode(proto, out)
        for k, text in zip(chunk, texts):
            found[todo[k]] = text
    return found
