"""Speech front-end layers: raw 16 kHz audio -> normalised log-mel frames, SpecAugment.

Both live inside the models, so a saved ``.keras`` model takes raw audio.
"""

from __future__ import annotations

import keras
import numpy as np
from keras import ops

SAMPLE_RATE = 16000


def mel_filterbank(n_mels: int, fft_length: int, sample_rate: int, low: float, high: float):
    """``[fft_length // 2 + 1, n_mels]`` triangular filters equally spaced on the HTK mel
    scale (``2595 log10(1 + f / 700)``), as ``tf.signal.linear_to_mel_weight_matrix``."""

    def to_mel(hz):
        return 2595.0 * np.log10(1.0 + np.asarray(hz) / 700.0)

    bins = np.linspace(0.0, sample_rate / 2, fft_length // 2 + 1)
    edges = np.linspace(to_mel(low), to_mel(high), n_mels + 2)
    mels = to_mel(bins)[:, None]
    lower, centre, upper = edges[:-2], edges[1:-1], edges[2:]
    rising = (mels - lower) / (centre - lower)
    falling = (upper - mels) / (upper - centre)
    return np.maximum(0.0, np.minimum(rising, falling)).astype(np.float32)


@keras.saving.register_keras_serializable(package="deeptasks")
class LogMelSpectrogram(keras.layers.Layer):
    """``[B, samples]`` audio -> ``[B, frames, n_mels]`` log-mel energies, normalised per
    utterance and mel channel to zero mean and unit variance.

    Zero padding at the end of a batch's shorter utterances gives frames of exactly zero
    energy: they are left out of the statistics and set to 0, so an utterance's features
    do not depend on what it was batched with.

    Args:
        n_mels: mel channels.
        frame_length: window in samples (400 = 25 ms at 16 kHz).
        frame_step: hop in samples (160 = 10 ms).
        fft_length: FFT size.
        sample_rate: of the input audio.
        low_hz, high_hz: the filterbank's range.

    Example:
        >>> features = LogMelSpectrogram(64)(np.zeros([2, 16000], "float32"))  # [2, 101, 64]

    Reference:
        Davis & Mermelstein, "Comparison of parametric representations for monosyllabic
        word recognition in continuously spoken sentences", 1980.
    """

    def __init__(
        self,
        n_mels: int = 64,
        frame_length: int = 400,
        frame_step: int = 160,
        fft_length: int = 512,
        sample_rate: int = SAMPLE_RATE,
        low_hz: float = 20.0,
        high_hz: float = 7600.0,
        **kwargs,
    ):
        super().__init__(**kwargs)
        self.n_mels, self.frame_length, self.frame_step = n_mels, frame_length, frame_step
        self.fft_length, self.sample_rate = fft_length, sample_rate
        self.low_hz, self.high_hz = low_hz, high_hz
        self.filters = mel_filterbank(n_mels, fft_length, sample_rate, low_hz, high_hz)

    def call(self, audio):
        audio = ops.cast(audio, "float32")
        real, imag = ops.stft(
            audio, self.frame_length, self.frame_step, self.fft_length, center=True
        )
        power = ops.square(real) + ops.square(imag)
        valid = ops.cast(ops.sum(power, axis=-1, keepdims=True) > 1e-10, "float32")
        log_mel = ops.log(ops.matmul(power, ops.convert_to_tensor(self.filters)) + 1e-6)
        count = ops.maximum(ops.sum(valid, axis=1, keepdims=True), 1.0)
        mean = ops.sum(log_mel * valid, axis=1, keepdims=True) / count
        variance = ops.sum(ops.square(log_mel - mean) * valid, axis=1, keepdims=True) / count
        return (log_mel - mean) * ops.rsqrt(variance + 1e-5) * valid

    def compute_output_shape(self, input_shape):
        frames = None if input_shape[1] is None else input_shape[1] // self.frame_step + 1
        return (input_shape[0], frames, self.n_mels)

    def get_config(self):
        return super().get_config() | {
            "n_mels": self.n_mels,
            "frame_length": self.frame_length,
            "frame_step": self.frame_step,
            "fft_length": self.fft_length,
            "sample_rate": self.sample_rate,
            "low_hz": self.low_hz,
            "high_hz": self.high_hz,
        }


@keras.saving.register_keras_serializable(package="deeptasks")
class SpecAugment(keras.layers.Layer):
    """Training-time masks on ``[B, frames, channels]`` features: ``freq_masks`` bands of up
    to ``freq_width`` channels and ``time_masks`` spans of up to ``time_width`` frames are
    set to 0 (the normalised mean), independently for every utterance. Identity at
    inference.

    Args:
        freq_masks, freq_width: frequency masks per utterance and their largest width.
        time_masks, time_width: time masks per utterance and their largest width (frames).
        seed: for the mask positions.

    Example:
        >>> masked = SpecAugment(2, 8, 2, 20)(features, training=True)

    Reference:
        Park et al., "SpecAugment: A Simple Data Augmentation Method for Automatic Speech
        Recognition", Interspeech 2019.
    """

    def __init__(
        self,
        freq_masks: int = 2,
        freq_width: int = 8,
        time_masks: int = 2,
        time_width: int = 20,
        seed: int | None = None,
        **kwargs,
    ):
        super().__init__(**kwargs)
        self.freq_masks, self.freq_width = freq_masks, freq_width
        self.time_masks, self.time_width = time_masks, time_width
        self.seed = seed
        self.generator = keras.random.SeedGenerator(seed)

    def _masks(self, batch, size, count, width):
        positions = ops.arange(size)[None, :]
        keep = ops.ones((batch, size), "float32")
        for _ in range(count):
            span = keras.random.randint((batch, 1), 0, width + 1, seed=self.generator)
            room = ops.cast(ops.maximum(size - span + 1, 1), "float32")
            fraction = keras.random.uniform((batch, 1), seed=self.generator)
            start = ops.cast(ops.floor(fraction * room), "int32")
            inside = ops.logical_and(positions >= start, positions < start + span)
            keep = keep * (1.0 - ops.cast(inside, "float32"))
        return keep

    def call(self, features, training=None):
        if not training or (self.freq_masks == 0 and self.time_masks == 0):
            return features
        shape = ops.shape(features)
        freq = self._masks(shape[0], shape[2], self.freq_masks, self.freq_width)
        time = self._masks(shape[0], shape[1], self.time_masks, self.time_width)
        return features * freq[:, None, :] * time[:, :, None]

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        return super().get_config() | {
            "freq_masks": self.freq_masks,
            "freq_width": self.freq_width,
            "time_masks": self.time_masks,
            "time_width": self.time_width,
            "seed": self.seed,
        }
