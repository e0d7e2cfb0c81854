"""The classical references: a nearest-neighbour template matcher with dynamic time
warping, and PocketSphinx.

Every test utterance gets the transcript of the training utterance whose log-mel frames it
matches best under DTW (Sakoe & Chiba, 1978; Itakura's local constraint: each test frame
advances the template by 0, 1 or 2 frames). It is what isolated-word recognisers did
before HMMs: it can only answer with a sentence it has heard, so on unseen sentences it
shows how much of the score comes from recognising speech rather than recalling it.
"""

from __future__ import annotations

import numpy as np

from deeptasks.datasets.speech import to_int16
from deeptasks.tasks.speech_recognition.layers import LogMelSpectrogram

TEMPLATES = 150
N_MELS = 20
POOL = 2  # frames averaged: 20 ms per DTW frame


def features(audio: list[np.ndarray]) -> list[np.ndarray]:
    """Normalised 20-band log-mel frames (20 ms) of each float utterance."""
    layer = LogMelSpectrogram(N_MELS)
    out = []
    for samples in audio:
        frames = np.asarray(layer(np.asarray(samples, np.float32)[None]))[0]
        usable = len(frames) // POOL * POOL
        out.append(frames[:usable].reshape(-1, POOL, N_MELS).mean(axis=1))
    return out


class TemplateMatcher:
    """DTW nearest neighbour over ``templates`` (feature arrays) and their transcripts."""

    def __init__(self, templates: list[np.ndarray], transcripts: list[str]):
        self.transcripts = transcripts
        self.lengths = np.array([len(t) for t in templates])
        longest = int(self.lengths.max())
        self.bank = np.zeros((len(templates), longest, N_MELS), np.float32)
        for index, template in enumerate(templates):
            self.bank[index, : len(template)] = template
        self.bank_sq = np.sum(self.bank**2, axis=-1)

    def distances(self, query: np.ndarray) -> np.ndarray:
        """Length-normalised DTW cost of ``query`` against every template."""
        cost = (
            np.sum(query**2, axis=-1)[None, :, None]
            + self.bank_sq[:, None, :]
            - 2.0 * np.einsum("td,kjd->ktj", query, self.bank)
        )
        cost = np.sqrt(np.maximum(cost, 0.0))  # [K, Tq, Tb]
        inf = np.float32(np.inf)
        total = np.full(self.bank.shape[:2], inf, np.float32)
        total[:, 0] = cost[:, 0, 0]
        for step in range(1, len(query)):
            stay, one = total, np.concatenate([np.full_like(total[:, :1], inf), total[:, :-1]], 1)
            two = np.concatenate([np.full_like(total[:, :2], inf), total[:, :-2]], 1)
            total = cost[:, step] + np.minimum(np.minimum(stay, one), two)
        final = total[np.arange(len(total)), self.lengths - 1]
        return final / (len(query) + self.lengths)

    def transcribe(self, query: np.ndarray) -> str:
        return self.transcripts[int(np.argmin(self.distances(query)))]


class PocketSphinx:
    """CMU PocketSphinx (PyPI ``pocketsphinx``) with the en-us acoustic model, dictionary
    and word trigram LM that its wheel ships: a classical HMM-GMM recogniser trained on
    real speech, run offline, as a second reference beside the template matcher.

    Example:
        >>> PocketSphinx().transcribe(samples_16k_int16)
        'hello world'
    """

    def __init__(self):
        from pocketsphinx import Decoder  # its default config is the bundled en-us model

        self.decoder = Decoder(loglevel="FATAL")

    def transcribe(self, samples: np.ndarray) -> str:
        """The words heard in 16 kHz mono audio (int16, or float in [-1, 1])."""
        samples = np.asarray(samples)
        if samples.dtype != np.int16:
            samples = to_int16(samples)
        self.decoder.start_utt()
        self.decoder.process_raw(samples.tobytes(), full_utt=True)
        self.decoder.end_utt()
        found = self.decoder.hyp()
        return found.hypstr if found is not None else ""
