"""Summarizing documents with a trained model: the shared batched beam (or greedy) search
of :mod:`deeptasks.common.seq2seq.inference`, with documents cut to the model's window;
and the copy model's copy probability per output token."""

from __future__ import annotations

import keras
import numpy as np
import tensorflow as tf

from deeptasks.common.seq2seq.inference import codec_of, generate, source_ids


def summarize(
    model: keras.Model, cfg, documents: list[str], beam_width: int | None = None
) -> list[str]:
    """One summary per document (in order; an empty document gives ""), each document
    cut to ``data.max_source_tokens`` subwords."""
    return generate(model, cfg.model, documents, beam_width, cfg.data.max_source_tokens)


def truncated(model: keras.Model, cfg, documents: list[str]) -> int:
    """How many of ``documents`` are longer than the model's window."""
    return source_ids(codec_of(model), documents, cfg.data.max_source_tokens)[1]


def copy_probabilities(
    model: keras.Model, cfg, document: str, summary: str
) -> list[tuple[str, float]]:
    """``[(subword, 1 - p_gen)]`` for each subword of ``summary`` (and its end), as the
    copy model scores it after ``document``: how much of each token's probability came
    from copying."""
    codec = codec_of(model)
    source = source_ids(codec, [document], cfg.data.max_source_tokens)[0]
    target = codec.encode([summary])[0]
    inputs = {"source": tf.constant(source), "target_in": tf.constant([[codec.bos, *target]])}
    _, copied = model(inputs, return_copy=True)
    pieces = codec.pieces(target) + ["</s>"]
    return list(zip(pieces, np.asarray(copied)[0].round(3).tolist()))
