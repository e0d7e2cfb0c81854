"""The classical baseline: a lookup synthesiser. Each phoneme's mean log-mel in three
segments (its first, middle and last third of frames) and its mean duration, from the
training utterances; a sentence is its phonemes' segments laid end to end, then
Griffin-Lim."""

from __future__ import annotations

from functools import lru_cache

import numpy as np

from deeptasks.datasets import tts
from deeptasks.tasks.text_to_speech import data

SEGMENTS = 3


def fit(cfg) -> tuple[np.ndarray, np.ndarray]:
    """``(mean mel [symbols, SEGMENTS, 80], mean duration [symbols])`` of the training
    split; a phoneme never seen with frames gets the mean of all segments."""
    return _fit(data.corpus_dir(cfg))


@lru_cache(maxsize=2)
def _fit(folder: str) -> tuple[np.ndarray, np.ndarray]:
    symbols = len(tts.manifest(folder)["phonemes"])
    sums = np.zeros((symbols, SEGMENTS, 80))
    counts = np.zeros((symbols, SEGMENTS))
    frames = np.zeros(symbols)
    seen = np.zeros(symbols)
    for item in tts.load_split(folder, "train"):
        mel = np.asarray(item["mel"], np.float64)
        ends = np.cumsum(item["durations"])
        for symbol, end, length in zip(item["ids"], ends, item["durations"]):
            frames[symbol] += length
            seen[symbol] += 1
            for part, chunk in enumerate(np.array_split(mel[end - length : end], SEGMENTS)):
                if len(chunk):
                    sums[symbol, part] += chunk.sum(0)
                    counts[symbol, part] += len(chunk)
    overall = sums.sum((0, 1)) / max(counts.sum(), 1)
    means = np.where(counts[..., None] > 0, sums / np.maximum(counts, 1)[..., None], overall)
    durations = np.where(seen > 0, frames / np.maximum(seen, 1), frames.sum() / max(seen.sum(), 1))
    return means.astype(np.float32), durations.astype(np.float32)


def synthesise(cfg, ids: np.ndarray, durations: np.ndarray | None = None):
    """``(log-mel [T, 80], durations [N])`` of phoneme ids, with the mean durations (or
    the ``durations`` given)."""
    means, mean_durations = fit(cfg)
    if durations is None:
        durations = np.round(mean_durations[ids]).astype(np.int32)
    rows = []
    for symbol, length in zip(ids, durations):
        for part, size in enumerate(len(c) for c in np.array_split(np.arange(length), SEGMENTS)):
            rows += [means[symbol, part]] * size
    mel = np.stack(rows) if rows else np.zeros((1, 80), np.float32)
    return mel.astype(np.float32), np.asarray(durations, np.int32)
