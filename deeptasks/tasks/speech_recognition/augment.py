"""Acoustic augmentation aimed at real rooms and microphones, as tf.data ops on 16 kHz
float waveforms ``[T]``: reverberation by a synthetic room impulse response, band-limiting
(telephone lines, cheap microphones) and vocal-tract-length perturbation (VTLP).

Each op is deterministic given its parameters; :func:`apply` draws the parameters from a
stateless seed, with the probabilities and ranges of ``cfg.data``.
"""

from __future__ import annotations

import math

import tensorflow as tf

SAMPLE_RATE = 16000
VTLP_FRAME = 512
VTLP_HOP = 128
VTLP_BOUNDARY_HZ = 4800.0  # below it frequencies scale by alpha; above, linear to Nyquist


def room_impulse(seed: tf.Tensor, rt60: tf.Tensor, direct_to_reverb_db: tf.Tensor) -> tf.Tensor:
    """A synthetic room impulse response: a unit direct-path tap, then from 2.5 ms a tail
    of Gaussian noise decaying by 60 dB over ``rt60`` seconds, whose energy is
    ``direct_to_reverb_db`` below the direct tap's. Length ``rt60`` seconds."""
    length = tf.maximum(tf.cast(rt60 * SAMPLE_RATE, tf.int32), 64)
    times = tf.range(tf.cast(length, tf.float32)) / SAMPLE_RATE
    tail = tf.random.stateless_normal([length], seed) * tf.exp(-6.9078 * times / rt60)
    tail = tf.where(times < 0.0025, 0.0, tail)
    energy = tf.reduce_sum(tf.square(tail)) + 1e-12
    tail *= tf.sqrt(tf.pow(10.0, -direct_to_reverb_db / 10.0) / energy)
    return tf.tensor_scatter_nd_update(tail, [[0]], [1.0])


def reverberate(audio: tf.Tensor, impulse: tf.Tensor) -> tf.Tensor:
    """``audio`` convolved with ``impulse`` (by FFT), cut to the input's length and scaled
    back to its RMS. A single unit tap leaves the signal unchanged."""
    samples = tf.shape(audio)[0]
    size = samples + tf.shape(impulse)[0] - 1
    fft = tf.cast(
        2 ** tf.math.ceil(tf.math.log(tf.cast(size, tf.float32)) / math.log(2.0)), tf.int32
    )
    spectrum = tf.signal.rfft(audio, [fft]) * tf.signal.rfft(impulse, [fft])
    wet = tf.signal.irfft(spectrum, [fft])[:samples]
    rms = tf.sqrt(tf.reduce_mean(tf.square(audio)) + 1e-12)
    return wet * rms / tf.sqrt(tf.reduce_mean(tf.square(wet)) + 1e-12)


def band_limit(audio: tf.Tensor, low_hz: tf.Tensor, high_hz: tf.Tensor) -> tf.Tensor:
    """``audio`` with every frequency outside ``[low_hz, high_hz]`` removed (an ideal
    band-pass over the whole clip, by FFT)."""
    samples = tf.shape(audio)[0]
    spectrum = tf.signal.rfft(audio, [samples])
    bins = tf.cast(tf.range(tf.shape(spectrum)[0]), tf.float32)
    hz = bins * SAMPLE_RATE / tf.cast(samples, tf.float32)
    keep = tf.cast((hz >= low_hz) & (hz <= high_hz), tf.complex64)
    return tf.signal.irfft(spectrum * keep, [samples])


def _warp_sources(alpha: tf.Tensor, bins: int) -> tf.Tensor:
    """For each output bin, the (fractional) input bin it takes its value from: the
    inverse of the piecewise-linear VTLP warp (Jaitly & Hinton, 2013), which maps f to
    alpha * f below a boundary and then linearly onto the Nyquist frequency."""
    nyquist = SAMPLE_RATE / 2.0
    out_hz = tf.linspace(0.0, nyquist, bins)
    knee = VTLP_BOUNDARY_HZ * tf.minimum(alpha, 1.0) / alpha  # input frequency of the knee
    knee_out = alpha * knee
    lower = out_hz / alpha
    upper = knee + (out_hz - knee_out) * (nyquist - knee) / (nyquist - knee_out)
    source_hz = tf.where(out_hz <= knee_out, lower, upper)
    return tf.clip_by_value(source_hz / nyquist * (bins - 1), 0.0, bins - 1.0)


def vtlp(audio: tf.Tensor, alpha: tf.Tensor) -> tf.Tensor:
    """Vocal-tract-length perturbation of a waveform: its STFT's frequency axis warped by
    ``alpha`` (above 1 moves formants up, as a shorter vocal tract does), resynthesised
    by the inverse STFT. Each output bin takes the magnitude of its source frequency and,
    as a phase vocoder does, that source's instantaneous frequency scaled onto its own
    (so a 1 kHz tone comes out at ``alpha`` kHz). ``alpha`` = 1 gives back the input."""
    samples = tf.shape(audio)[0]
    stft = tf.signal.stft(audio, VTLP_FRAME, VTLP_HOP, pad_end=True)
    bins = VTLP_FRAME // 2 + 1
    source = _warp_sources(tf.cast(alpha, tf.float32), bins)
    left = tf.minimum(tf.cast(tf.floor(source), tf.int32), bins - 2)
    weight = source - tf.cast(left, tf.float32)

    def interpolate(values):
        return (1.0 - weight) * tf.gather(values, left, axis=1) + weight * tf.gather(
            values, left + 1, axis=1
        )

    magnitude = interpolate(tf.abs(stft))
    # instantaneous frequency (radians per hop) of every input bin, from its phase advance
    expected = 2.0 * math.pi * VTLP_HOP * tf.range(bins, dtype=tf.float32) / VTLP_FRAME
    phase = tf.math.angle(stft)
    advance = tf.concat([phase[:1], phase[1:] - phase[:-1]], 0) - expected
    advance = expected + tf.math.floormod(advance + math.pi, 2.0 * math.pi) - math.pi
    ratio = tf.range(bins, dtype=tf.float32) / tf.maximum(source, 1e-3)
    ratio = tf.where(source < 1e-3, 1.0, ratio)
    new_phase = tf.cumsum(interpolate(advance) * ratio, axis=0)
    warped = tf.complex(magnitude * tf.cos(new_phase), magnitude * tf.sin(new_phase))
    window = tf.signal.inverse_stft_window_fn(VTLP_HOP)
    rebuilt = tf.signal.inverse_stft(warped, VTLP_FRAME, VTLP_HOP, window_fn=window)
    rebuilt = tf.pad(rebuilt, [[0, tf.maximum(samples - tf.shape(rebuilt)[0], 0)]])
    return rebuilt[:samples]


def apply(cfg, audio: tf.Tensor, seed: tf.Tensor) -> tf.Tensor:
    """The room/microphone ops ``cfg.data`` turns on (each with its probability), in the
    order a signal meets them: the speaker (VTLP), the room (reverberation), the channel
    (band-limiting)."""
    d = cfg.data
    seeds = tf.random.experimental.stateless_split(seed, 8)

    def maybe(probability: float, index: int, op, audio):
        if probability <= 0:
            return audio  # off: not even in the graph
        chosen = tf.random.stateless_uniform([], seeds[index]) < probability
        return tf.cond(chosen, lambda: op(audio), lambda: audio)

    def speaker(x):
        alpha = tf.random.stateless_uniform([], seeds[1], d.vtlp_alpha[0], d.vtlp_alpha[1])
        return vtlp(x, alpha)

    def room(x):
        rt60 = tf.random.stateless_uniform([], seeds[3], d.rt60[0], d.rt60[1])
        drr = tf.random.stateless_uniform([], seeds[4], -3.0, 9.0)
        return reverberate(x, room_impulse(seeds[5], rt60, drr))

    def channel(x):
        high = tf.random.stateless_uniform([], seeds[7], d.band_high_hz[0], d.band_high_hz[1])
        return band_limit(x, d.band_low_hz, high)

    audio = maybe(d.vtlp_probability, 0, speaker, audio)
    audio = maybe(d.reverb_probability, 2, room, audio)
    return maybe(d.band_limit_probability, 6, channel, audio)
