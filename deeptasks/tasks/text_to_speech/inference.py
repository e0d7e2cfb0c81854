"""The models applied: text -> eSpeak NG phonemes -> ids, the acoustic model's encoder
and decoder (durations scaled by ``speed``, pitch shifted by semitones), and the
vocoders (Griffin-Lim, or a vocoder run's neural model)."""

from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path

import keras
import numpy as np

from deeptasks.datasets import espeak, tts
from deeptasks.errors import UserError
from deeptasks.tasks.base import model_spec
from deeptasks.tasks.text_to_speech import data

BATCH = 16
STRESS = re.compile(r"^[',]+")


def unspeakable(text: str) -> str:
    """The characters of ``text`` that the corpus's sentences never hold (sorted, unique)."""
    return "".join(sorted({c for c in text if not tts.SPEAKABLE.match(c)}))


def phoneme_ids(cfg, text: str) -> np.ndarray:
    """``<sil>`` + the eSpeak NG phonemes of ``text`` (``espeak_TextToPhonemes``, no
    synthesis) as ids of the training inventory; a phoneme training never had is read
    without its stress mark, else as ``<unk>``."""
    bad = unspeakable(text)
    if bad:
        raise UserError(
            f"cannot speak the characters {bad!r} in {text[:40]!r}; use letters, digits and "
            f"the punctuation  , . ; : ! ? ' \" ( ) & % -"
        )
    ids = _symbol_ids(data.corpus_dir(cfg))
    names = [tts.SILENCE] + espeak.text_to_phonemes(text, cfg.data.voice)
    found = []
    for name in names:
        if name not in ids:
            name = STRESS.sub("", name)
        found.append(ids.get(name, ids[tts.UNKNOWN]))
    return np.asarray(found, np.int32)


@lru_cache(maxsize=4)
def _symbol_ids(folder: str) -> dict[str, int]:
    return {name: k for k, name in enumerate(tts.manifest(folder)["phonemes"])}


@lru_cache(maxsize=8)
def _compiled(model: keras.Model):
    """One ``tf.function`` of the model for inputs of any length: ``predict_on_batch``
    traces again for every new sentence length (seconds each, and a warning)."""
    import tensorflow as tf

    def run(*inputs):
        return model(list(inputs) if len(inputs) > 1 else inputs[0], training=False)

    return tf.function(run, reduce_retracing=True)


def apply(model: keras.Model, *inputs: np.ndarray):
    """The model's outputs (numpy; a list for a model of several) on a batch of inputs."""
    found = _compiled(model)(*inputs)
    if isinstance(found, (list, tuple)):
        return [np.asarray(a) for a in found]
    return np.asarray(found)


def _padded(rows: list[np.ndarray], dtype: str) -> np.ndarray:
    return keras.utils.pad_sequences(rows, dtype=dtype, padding="post", value=0)


def acoustic(
    model: keras.Model,
    cfg,
    ids: list[np.ndarray],
    speed: float = 1.0,
    pitch: float = 0.0,
    durations: list[np.ndarray] | None = None,
) -> tuple[list[np.ndarray], list[np.ndarray]]:
    """``(log-mels [T, 80], durations used [N])`` of phoneme-id sequences: predicted
    durations divided by ``speed`` (or the given true ``durations``), predicted pitch
    shifted by ``pitch`` semitones."""
    if speed <= 0:
        raise UserError(f"--speed must be > 0 (1 = as trained, 2 = twice as fast); got {speed}")
    spec = model_spec(cfg)
    encoder, decoder = model.get_layer("encoder"), model.get_layer("decoder")
    stats = data.manifest(cfg)["stats"]
    shift = pitch * np.log(2.0) / 12.0 / stats["log_f0_std"]
    mels, used = [None] * len(ids), [None] * len(ids)
    order = np.argsort([len(i) for i in ids])
    for start in range(0, len(ids), BATCH):
        chosen = order[start : start + BATCH]
        batch = _padded([ids[k] for k in chosen], "int32")
        encoded = apply(encoder, batch)
        hidden, log_duration, variances = encoded[0], encoded[1], encoded[2:]
        if durations is None:
            frames = np.maximum(np.round(np.expm1(log_duration) / speed), 0)
        else:
            frames = _padded([durations[k] for k in chosen], "float32")
        frames = np.where(batch > 0, frames, 0).astype(np.float32)
        frames[:, 0] = np.maximum(frames[:, 0], (frames.sum(1) == 0).astype(np.float32))
        if spec.extra["variances"]:
            variances[0] = variances[0] + shift
        mel = apply(decoder, hidden, frames, *variances)
        for row, k in enumerate(chosen):
            length = int(frames[row].sum())
            mels[k] = mel[row, :length]
            used[k] = frames[row, : len(ids[k])].astype(np.int32)
    return mels, used


@lru_cache(maxsize=1)
def _mel_inverse() -> np.ndarray:
    return np.linalg.pinv(tts.mel_basis()).astype(np.float32)


def griffin_lim(mel: np.ndarray, iterations: int = 32) -> np.ndarray:
    """A log-mel ``[T, 80]`` -> ``T * 256`` float samples: the mel mapped back to a linear
    magnitude by the filter bank's pseudo-inverse (clipped at 0; librosa's non-negative
    least squares gave the same MCD and STOI, 5x slower) and its phase found by
    Griffin-Lim (librosa)."""
    import librosa

    mel = np.asarray(mel, np.float32)
    # the corpus dropped the centred STFT's frame past the end; put one back (a copy)
    magnitude = np.maximum(_mel_inverse() @ np.exp(np.concatenate([mel, mel[-1:]]).T), 0.0)
    samples = librosa.griffinlim(
        magnitude,
        n_iter=iterations,
        hop_length=tts.HOP,
        n_fft=tts.N_FFT,
        length=len(mel) * tts.HOP,
    )
    return np.clip(samples, -1.0, 1.0).astype(np.float32)


def neural(vocoder: keras.Model, mels: list[np.ndarray]) -> list[np.ndarray]:
    """The vocoder's waveforms of log-mels, one at a time (no padding artefacts)."""
    return [apply(vocoder, m[None].astype(np.float32))[0] for m in mels]


@lru_cache(maxsize=2)
def vocoder_run(workdir: str, option: str = "model.vocoder_workdir") -> keras.Model:
    """The vocoder model of a ``--model vocoder`` run folder (named by ``option``)."""
    from deeptasks.runs import load_run

    if not (Path(workdir) / "config.json").exists():
        raise UserError(f"{option}={workdir} is not a run folder (no config.json there)")
    _, cfg, model = load_run(Path(workdir))
    if cfg.task != "text_to_speech" or model_spec(cfg).extra.get("kind") != "vocoder":
        raise UserError(f"{option}={workdir} is not a text_to_speech --model vocoder run")
    return model


def vocoder_of(cfg) -> keras.Model | None:
    """The neural vocoder named by ``model.vocoder_workdir`` (None: Griffin-Lim)."""
    return vocoder_run(cfg.model.vocoder_workdir) if cfg.model.vocoder_workdir else None


def vocode(cfg, mels: list[np.ndarray], vocoder: keras.Model | None = None) -> list[np.ndarray]:
    """Waveforms of log-mels through ``vocoder``, or Griffin-Lim without one."""
    if vocoder is not None:
        return neural(vocoder, mels)
    return [griffin_lim(m, cfg.model.griffin_lim_iters) for m in mels]


def speak(model, cfg, texts: list[str], speed: float = 1.0, pitch: float = 0.0):
    """Waveforms (22,050 Hz float) of sentences, through the configured vocoder."""
    mels, _ = acoustic(model, cfg, [phoneme_ids(cfg, t) for t in texts], speed, pitch)
    return vocode(cfg, mels, vocoder_of(cfg))
