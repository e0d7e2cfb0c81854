"""Audio files in and out: any sample rate and channel count -> 16 kHz mono float32.

Reading goes through ``soundfile`` (libsndfile: WAV, FLAC, OGG, MP3 ...). Files that are
missing, empty, silent or undecodable are refused with one line that names the file.
"""

from __future__ import annotations

import io
from math import gcd
from pathlib import Path

import numpy as np

from deeptasks.common.io import atomic_write_bytes, existing_file
from deeptasks.errors import UserError

SAMPLE_RATE = 16000
AUDIO_SUFFIXES = (".wav", ".flac", ".ogg", ".mp3", ".aiff", ".aif", ".au")
# Peaks below this (about -80 dBFS) are silence: nothing a recogniser could hear.
SILENCE_PEAK = 1e-4


def resample(samples: np.ndarray, rate: int, target: int = SAMPLE_RATE) -> np.ndarray:
    """``samples`` at ``rate`` Hz -> ``target`` Hz by polyphase filtering (scipy)."""
    if rate == target:
        return np.asarray(samples, np.float32)
    from scipy.signal import resample_poly

    common = gcd(int(rate), int(target))
    out = resample_poly(np.asarray(samples, np.float32), target // common, rate // common)
    return out.astype(np.float32)


def to_mono_16k(samples: np.ndarray, rate: int, target: int = SAMPLE_RATE) -> np.ndarray:
    """``[N]`` or ``[N, channels]`` samples (int or float) -> mono float32 in [-1, 1] at
    ``target`` Hz (16 kHz by default)."""
    samples = np.asarray(samples)
    if np.issubdtype(samples.dtype, np.integer):
        samples = samples.astype(np.float32) / float(np.iinfo(samples.dtype).max + 1)
    samples = samples.astype(np.float32)
    if samples.ndim == 2:
        samples = samples.mean(axis=1)
    return resample(samples, rate, target)


def read_audio(path: str | Path, rate: int = SAMPLE_RATE) -> np.ndarray:
    """A file as mono float32 samples at ``rate`` (16 kHz by default); one clear
    :class:`UserError` if it cannot be."""
    import soundfile

    path = existing_file(path, "audio file", "audio files", "wav")
    try:
        samples, native = soundfile.read(str(path), dtype="float32", always_2d=True)
    except (soundfile.LibsndfileError, RuntimeError, OSError) as err:
        reason = str(err).splitlines()[0] if str(err) else type(err).__name__
        raise UserError(
            f"{path} is not readable audio ({reason}); give a WAV, FLAC or OGG file"
        ) from None
    if samples.shape[0] == 0:
        raise UserError(f"{path} holds no audio samples (empty recording)")
    mono = to_mono_16k(samples, native, rate)
    if float(np.max(np.abs(mono))) < SILENCE_PEAK:
        raise UserError(f"{path} is silent (peak below -80 dBFS); nothing to hear in it")
    return mono


def wav_bytes(samples: np.ndarray, rate: int = SAMPLE_RATE) -> bytes:
    """16-bit PCM mono WAV of float samples in [-1, 1] (clipped)."""
    import wave

    pcm = np.clip(np.round(np.asarray(samples, np.float32) * 32767.0), -32768, 32767)
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as handle:
        handle.setnchannels(1)
        handle.setsampwidth(2)
        handle.setframerate(rate)
        handle.writeframes(pcm.astype("<i2").tobytes())
    return buffer.getvalue()


def write_wav(path: Path, samples: np.ndarray, rate: int = SAMPLE_RATE) -> Path:
    return atomic_write_bytes(path, wav_bytes(samples, rate))


def read_wav_int16(path: Path) -> np.ndarray:
    """Our own 16-bit mono WAVs, fast (stdlib ``wave``), as int16 samples."""
    import wave

    with wave.open(str(path), "rb") as handle:
        return np.frombuffer(handle.readframes(handle.getnframes()), "<i2").copy()


def mix_at_snr(clean: np.ndarray, noise: np.ndarray, snr_db: float) -> np.ndarray:
    """``clean + noise`` with the noise scaled so that the mixture has ``snr_db`` dB SNR."""
    clean_power = float(np.mean(np.square(clean))) + 1e-12
    noise_power = float(np.mean(np.square(noise))) + 1e-12
    scale = np.sqrt(clean_power / (noise_power * 10.0 ** (snr_db / 10.0)))
    return (clean + scale * noise).astype(np.float32)
