"""Text-to-speech datasets.

Acoustic models get ``(x, y)`` dicts: ``x`` the phoneme ids ``[B, N]`` (0 = padding),
their true durations in frames ``[B, N]`` (the length regulator is teacher-forced in
training) and, for models that read them, per-phoneme pitch and energy (normalised);
``y`` the log-mel ``[B, T, 80]``, ``log(1 + duration)`` and the per-phoneme pitch and
energy, with padding set to ``PAD_VALUE`` (the losses skip it). Which keys a model reads
and predicts is its ``ModelSpec.extra["inputs"]`` / ``["outputs"]``.

The vocoder gets ``(mel segment [B, F, 80], audio segment [B, F * 256])``: a random
``data.vocoder_frames``-frame window of each training utterance (the first window on
val and test).
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

import numpy as np
import tensorflow as tf

from deeptasks.datasets import tts, tts_recorded
from deeptasks.errors import UserError
from deeptasks.tasks.base import model_spec

AUTOTUNE = tf.data.AUTOTUNE
PAD_VALUE = -100.0
FRAME_BUCKETS = (150, 200, 250, 300, 350, 400, 500, 600)


def check(cfg) -> None:
    d = cfg.data
    if min(d.train_utterances, d.val_utterances, d.test_utterances) < 1:
        raise UserError("data.*_utterances must be >= 1 each")
    if d.vocoder_frames < 4:
        raise UserError(f"data.vocoder_frames must be >= 4; got {d.vocoder_frames}")
    m = cfg.model
    if m.channels < 4 or m.griffin_lim_iters < 1:
        raise UserError("model.channels must be >= 4 and model.griffin_lim_iters >= 1")


def corpus_dir(cfg) -> str:
    d = cfg.data
    sizes = (d.train_utterances, d.val_utterances, d.test_utterances)
    if d.source == "tts":
        return _corpus_dir(*sizes, d.corpus_seed, d.voice, d.max_words)
    return _recorded_dir(
        d.source, d.folder, d.tfds_data_dir, *sizes, d.corpus_seed, d.voice, d.durations
    )


@lru_cache(maxsize=4)
def _corpus_dir(*params) -> str:
    return str(tts.build(*params))  # built or found once per process, not once per call


@lru_cache(maxsize=4)
def _recorded_dir(source, folder, tfds_data_dir, train, val, test, seed, voice, durations) -> str:
    if source == "folder":
        recordings = tts_recorded.folder_recordings(folder)
        fingerprint = tts_recorded.folder_digest(recordings)

        def load():
            return [
                (name, tts_recorded.read_recording(wav), text) for name, wav, text in recordings
            ]
    else:
        from deeptasks.datasets import tfds as tfds_adapters

        fingerprint = "tfds"

        def load():
            return tfds_adapters.ljspeech_recordings(tfds_data_dir)

    sizes = (train, val, test, seed, voice, durations)
    return str(tts_recorded.build_recorded(source, load, fingerprint, *sizes))


def manifest(cfg) -> dict[str, Any]:
    return tts.manifest(corpus_dir(cfg))


def facts(cfg) -> dict[str, Any]:
    """What the models are built from: the phoneme inventory's size and the feature
    statistics of the training split."""
    found = manifest(cfg)
    return {"vocabulary_size": len(found["phonemes"])} | found["stats"]


def reference_audio(item: dict[str, Any]) -> np.ndarray:
    """An utterance's eSpeak NG audio as float samples in [-1, 1]."""
    return np.asarray(item["audio"], np.float32) / 32768.0


def utterances(cfg, split: str, limit: int = 0) -> list[dict[str, Any]]:
    """The utterances of a split (see :func:`deeptasks.datasets.tts.load_split`), each
    with its per-phoneme ``pitch`` and ``energy``, normalised by the training statistics."""
    items = list(_utterances(corpus_dir(cfg), split))
    return items[:limit] if limit else items


@lru_cache(maxsize=6)
def _utterances(folder: str, split: str) -> tuple[dict[str, Any], ...]:
    stats = tts.manifest(folder)["stats"]
    items = tts.load_split(folder, split)
    for item in items:
        item["pitch"], item["energy_phoneme"] = phoneme_variances(
            item["f0"], item["energy"], item["durations"], stats
        )
    return tuple(items)


def phoneme_variances(f0, energy, durations, stats) -> tuple[np.ndarray, np.ndarray]:
    """Per-phoneme normalised log-F0 (0 for an unvoiced phoneme: the mean) and energy."""
    f0_mean = tts.phoneme_means(f0, durations, voiced_only=True)
    pitch = np.where(
        f0_mean > 0,
        (np.log(np.maximum(f0_mean, 1e-3)) - stats["log_f0_mean"]) / stats["log_f0_std"],
        0.0,
    )
    level = tts.phoneme_means(energy, durations, voiced_only=False)
    return pitch.astype(np.float32), ((level - stats["energy_mean"]) / stats["energy_std"]).astype(
        np.float32
    )


def _ragged(items, key, dtype):
    return tf.RaggedTensor.from_row_lengths(
        np.concatenate([np.asarray(i[key], dtype) for i in items]), [len(i[key]) for i in items]
    )


def acoustic_dataset(cfg, items, split: str, batch: int, seed: int):
    spec = model_spec(cfg)
    columns = (
        _ragged(items, "ids", np.int32),
        _ragged(items, "durations", np.int32),
        _ragged(items, "pitch", np.float32),
        _ragged(items, "energy_phoneme", np.float32),
        _ragged(items, "mel", np.float32),
    )
    rows = tf.data.Dataset.from_tensor_slices(columns).map(lambda *c: c)  # ragged -> dense
    shapes = ([None], [None], [None], [None], [None, tts.N_MELS])
    pads = (0, 0, 0.0, 0.0, PAD_VALUE)

    def to_pair(ids, durations, pitch, energy, mel):
        valid = ids > 0
        pad = tf.fill(tf.shape(pitch), PAD_VALUE)
        log_duration = tf.math.log1p(tf.cast(durations, tf.float32))
        inputs = {"phonemes": ids, "durations": durations, "pitch": pitch, "energy": energy}
        targets = {
            "mel": mel,
            "log_duration": tf.where(valid, log_duration, pad),
            "predicted_pitch": tf.where(valid, pitch, pad),
            "predicted_energy": tf.where(valid, energy, pad),
        }
        x = {key: inputs[key] for key in spec.extra["inputs"]}
        return x, {key: targets[key] for key in spec.extra["outputs"]}

    if split != "train":
        rows = rows.padded_batch(batch, shapes, pads)
        return rows.map(to_pair, num_parallel_calls=AUTOTUNE).cache().prefetch(AUTOTUNE)
    rows = rows.shuffle(cfg.data.shuffle_buffer, seed=seed, reshuffle_each_iteration=True).repeat()
    rows = rows.bucket_by_sequence_length(
        lambda *c: tf.shape(c[4])[0],
        list(FRAME_BUCKETS),
        [batch] * (len(FRAME_BUCKETS) + 1),
        padded_shapes=shapes,
        padding_values=pads,
        drop_remainder=True,
    )
    return rows.map(to_pair, num_parallel_calls=AUTOTUNE).prefetch(AUTOTUNE)


def vocoder_dataset(cfg, items, split: str, batch: int, seed: int):
    frames = cfg.data.vocoder_frames
    rows = tf.data.Dataset.from_tensor_slices(
        (_ragged(items, "mel", np.float32), _ragged(items, "audio", np.int16))
    )

    def window(index, pair):
        mel, audio = pair
        total = tf.shape(mel)[0]
        mel = tf.pad(mel, [[0, tf.maximum(frames - total, 0)], [0, 0]], constant_values=-11.5)
        audio = tf.pad(audio, [[0, tf.maximum(frames - total, 0) * tts.HOP]])
        if split == "train":
            key = tf.stack([tf.cast(seed, tf.int64), index])
            start = tf.random.stateless_uniform(
                [], key, 0, tf.maximum(total - frames, 0) + 1, dtype=tf.int32
            )
        else:
            start = tf.constant(0)
        segment = audio[start * tts.HOP : (start + frames) * tts.HOP]
        return mel[start : start + frames], tf.cast(segment, tf.float32) / 32768.0

    if split == "train":
        rows = rows.shuffle(cfg.data.shuffle_buffer, seed=seed, reshuffle_each_iteration=True)
        rows = rows.repeat()
    rows = rows.enumerate().map(window, num_parallel_calls=AUTOTUNE)
    rows = rows.batch(batch, drop_remainder=split == "train")
    return (rows if split == "train" else rows.cache()).prefetch(AUTOTUNE)


def build_dataset(cfg, split: str, input_context: tf.distribute.InputContext | None = None):
    """``tf.data.Dataset`` of ``(x, y)`` batches of one split, for the configured model."""
    from deeptasks.datasets.batching import input_pipeline

    check(cfg)
    if split not in tts.SPLITS:
        raise UserError(f"unknown split '{split}'; valid: train, val, test")
    batch, pipelines, pipeline_id = input_pipeline(cfg.train.batch_size, input_context)
    items = utterances(cfg, split)
    if pipelines > 1 and split == "train":
        items = items[pipeline_id::pipelines]
    seed = cfg.train.seed + 7919 * pipeline_id
    if model_spec(cfg).extra.get("kind") == "vocoder":
        return vocoder_dataset(cfg, items, split, batch, seed)
    return acoustic_dataset(cfg, items, split, batch, seed)


def describe_data(cfg) -> dict[str, Any]:
    check(cfg)
    found = dict(manifest(cfg))  # a copy: the manifest is shared
    found["splits"] = {k: v["utterances"] for k, v in found["splits"].items()} | {
        "detail": found["splits"]
    }
    found["phonemes"] = len(found["phonemes"])
    return found
