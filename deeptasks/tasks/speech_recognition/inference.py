"""The recogniser applied to audio: logits of a batch (optionally compiled by XLA),
batched by length, and transcripts of audio files."""

from __future__ import annotations

import sys
import weakref
from functools import partial
from pathlib import Path

import keras
import numpy as np
import tensorflow as tf

from deeptasks.common.audio import read_audio
from deeptasks.errors import UserError
from deeptasks.tasks.speech_recognition.decoding import decode, decoder_with_lm, lm_description
from deeptasks.tasks.speech_recognition.models import output_frames

SAMPLE_RATE = 16000
EVAL_BATCH = 16
PAD_SECONDS = 0.5  # inputs padded to a multiple of this: few shapes, few retraces/compiles

_XLA_CALLS: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def infer(model: keras.Model, inputs: np.ndarray, xla: bool = False) -> np.ndarray:
    """The model's logits of a ``[batch, samples]`` float32 batch. With ``xla`` the call
    is compiled by XLA (once per input shape, a few seconds each, so pad to few shapes):
    4.9x faster than ``predict_on_batch`` for the BLSTM one utterance at a time on a
    2-core CPU (benchmarks/speech_recognition/rtf.py), same outputs to ~1e-5."""
    if not xla:
        return np.asarray(model.predict_on_batch(inputs))
    if model not in _XLA_CALLS:
        _XLA_CALLS[model] = tf.function(lambda x: model(x, training=False), jit_compile=True)
    return np.asarray(_XLA_CALLS[model](tf.constant(inputs)))


def logits(
    model: keras.Model, audio: list[np.ndarray], batch: int = EVAL_BATCH, xla: bool = False
) -> list:
    """Per-utterance ``[frames, classes]`` logits of int16 or float utterances, batched by
    length and cut to each utterance's own frames (with ``xla``, see ``infer``, batches
    are padded to a multiple of ``PAD_SECONDS``)."""
    order = np.argsort([len(a) for a in audio])
    out: list = [None] * len(audio)
    for start in range(0, len(order), batch):
        chosen = order[start : start + batch]
        inputs = padded([audio[k] for k in chosen], PAD_SECONDS if xla else 0.0)
        scores = infer(model, inputs, xla)
        for row, k in enumerate(chosen):
            out[k] = scores[row, : output_frames(len(audio[k]))]
    return out


def padded(audio: list[np.ndarray], seconds: float) -> np.ndarray:
    """A float32 ``[len(audio), samples]`` batch of the utterances, zero-padded to the
    longest one rounded up to a multiple of ``seconds`` (0: the longest itself)."""
    step = max(int(seconds * SAMPLE_RATE), 1)
    inputs = np.zeros((len(audio), -(-max(map(len, audio)) // step) * step), np.float32)
    for row, samples in enumerate(audio):
        inputs[row, : len(samples)] = as_float(samples)
    return inputs


def as_float(samples: np.ndarray) -> np.ndarray:
    samples = np.asarray(samples)
    if samples.dtype == np.int16:
        return samples.astype(np.float32) / 32768.0
    return samples.astype(np.float32)


def transcribe(model: keras.Model, cfg, paths: list[Path]) -> list[str]:
    """Transcripts of audio files (any rate and channel count): beam search with the run's
    character LM (``model.lm_order=0``: without; ``model.beam_width=0``: greedy)."""
    audio = [read_audio(p) for p in paths]  # all read first: fail before any work
    try:
        decoder = decoder_with_lm(cfg)
    except UserError as error:  # a run moved away from its training data still transcribes
        print(
            "warning: beam search without its language model, which is built from "
            f"{lm_description(cfg)}: {error}",
            file=sys.stderr,
        )
        decoder = partial(decode, beam_width=cfg.model.beam_width)
    return decoder(logits(model, audio, xla=cfg.model.xla_inference))
