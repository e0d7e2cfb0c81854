"""Translating sentences with a trained model: the shared batched greedy or beam search
of :mod:`deeptasks.common.seq2seq.inference`."""

from __future__ import annotations

import keras

from deeptasks.common.seq2seq.inference import generate, step_function

__all__ = ["step_function", "translate"]


def translate(model: keras.Model, cfg, sentences: list[str], beam_width: int | None = None):
    """Translations of ``sentences`` (in order), by beam search of the configured width
    (``beam_width=1``: greedy), batched by similar source length."""
    return generate(model, cfg.model, sentences, beam_width)
