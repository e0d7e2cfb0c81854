"""Speech recognition datasets: ``(audio [B, samples] float32, labels [B, L] int32)``.

Labels are the normalised transcript's character ids (``1..len(ALPHABET)``), padded with
0 (CTC's blank, never a label). Audio is 16 kHz mono in [-1, 1], zero-padded.

* train: shuffled and repeated; every utterance perturbed on the fly (speed, gain, noise
  at a random SNR; SpecAugment masks are applied inside the model) and batched with
  utterances of similar length;
* val, test: fixed, unperturbed, in order.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

import numpy as np
import tensorflow as tf

from deeptasks.common.decoding.ctc import encode
from deeptasks.datasets import english_text, speech
from deeptasks.datasets.english_text import ALPHABET, normalise
from deeptasks.datasets.ragged import ragged_rows
from deeptasks.errors import UserError
from deeptasks.tasks.speech_recognition import augment

AUTOTUNE = tf.data.AUTOTUNE
SAMPLE_RATE = 16000
BUCKET_SECONDS = (1.0, 1.5, 2.0, 2.5, 3.0, 3.5, 4.5, 6.0)


def check(cfg) -> None:
    """Refuse configs that cannot work, with the fix."""
    data = cfg.data
    if data.source == "folder" and not data.folder:
        raise UserError("data.source=folder needs --set data.folder=DIR (train/ val/ test/)")
    low, high = data.speed
    if not 0.5 <= low <= high <= 2.0:
        raise UserError(f"data.speed must satisfy 0.5 <= low <= high <= 2; got {data.speed}")
    if data.snr_db[0] > data.snr_db[1] or data.gain_db[0] > data.gain_db[1]:
        raise UserError("data.snr_db and data.gain_db are (low, high) ranges with low <= high")
    for name in ("noise", "vtlp", "reverb", "band_limit"):
        value = getattr(data, f"{name}_probability")
        if not 0.0 <= value <= 1.0:
            raise UserError(f"data.{name}_probability must be in [0, 1]; got {value}")
    if not 0.5 <= data.vtlp_alpha[0] <= data.vtlp_alpha[1] <= 2.0:
        raise UserError(
            f"data.vtlp_alpha must satisfy 0.5 <= low <= high <= 2; got {data.vtlp_alpha}"
        )
    if not 0.05 <= data.rt60[0] <= data.rt60[1] <= 3.0:
        raise UserError(f"data.rt60 must satisfy 0.05 <= low <= high <= 3 seconds; got {data.rt60}")
    if not 0 <= data.band_low_hz < data.band_high_hz[0] <= data.band_high_hz[1] <= 8000:
        raise UserError(
            "data.band_low_hz and data.band_high_hz need 0 <= low < high range <= 8000 Hz; "
            f"got {data.band_low_hz} and {data.band_high_hz}"
        )
    model = cfg.model
    if model.lm_order < 0 or model.lm_weight < 0:
        raise UserError(
            f"model.lm_order and model.lm_weight must be >= 0 (0 = no language model); "
            f"got {model.lm_order} and {model.lm_weight}"
        )


def corpus_dir(cfg):
    return speech.build(*_corpus_params(cfg))


def _corpus_params(cfg) -> tuple:
    """``speech.build``'s arguments from ``cfg.data``."""
    d = cfg.data
    sizes = (d.train_utterances, d.val_utterances, d.test_utterances)
    return (*sizes, d.corpus_seed, d.max_words, d.accent_mix, d.engine_mix, d.engine_test)


def examples(cfg, split: str, noisy: bool = False) -> tuple[list, list[str], list[dict]]:
    """``(int16 audio arrays, normalised transcripts, metadata rows)`` of one split."""
    audio, texts, rows = _examples(_key(cfg), split, noisy)
    return list(audio), list(texts), list(rows)


def transcripts(cfg, split: str) -> tuple[str, ...]:
    """The normalised transcripts of one split, without reading its audio where the source
    keeps them apart (the speech corpus's manifest)."""
    if cfg.data.source == "speech":
        rows = speech.load_rows(corpus_dir(cfg), split)
        return tuple(normalise(row["text"]) for row in rows)
    return tuple(examples(cfg, split)[1])


def lm_from_sources(cfg) -> bool:
    """Whether the LM reads the corpus's text sources (only the speech corpus has them)."""
    return cfg.model.lm_text == "sources" and cfg.data.source == "speech"


def lm_texts(cfg) -> tuple[str, ...]:
    """The text of the character language model: with ``model.lm_text="sources"`` and the
    speech corpus, every sentence of its text sources (any length) except those of the
    validation and test splits, so no held-out sentence is known to the decoder; else the
    training transcripts."""
    if lm_from_sources(cfg):
        held_out = set(transcripts(cfg, "val")) | set(transcripts(cfg, "test"))
        pool = english_text.sentences(min_words=1, max_words=10**6)
        return tuple(text for text in pool if text not in held_out)
    return transcripts(cfg, "train")


def _key(cfg) -> tuple:
    d = cfg.data
    return (d.source, d.folder, d.tfds_data_dir, d.max_utterances, *_corpus_params(cfg))


@lru_cache(maxsize=4)
def _examples(key: tuple, split: str, noisy: bool):
    source, folder, tfds_dir, max_utterances, *sizes = key
    if source == "speech":
        built = speech.build(*sizes)
        audio, texts, rows = speech.load_split(built, split, noisy=noisy)
    elif noisy:
        raise UserError(f"data.source={source} has no 20 dB SNR test version")
    elif source == "folder":
        audio, texts, rows = speech.folder_split(folder, split)
    else:
        from deeptasks.datasets import tfds

        audio, texts, rows = tfds.speech_split(source, split, tfds_dir, max_utterances)
    return tuple(audio), tuple(normalise(t) for t in texts), tuple(rows)


def to_float(audio: tf.Tensor) -> tf.Tensor:
    return tf.cast(audio, tf.float32) / 32768.0


def resample(audio: tf.Tensor, factor: tf.Tensor) -> tf.Tensor:
    """``audio`` [T] (T >= 2) read every ``factor`` samples, linearly interpolated: about
    T / factor samples, played ``factor`` x as fast."""
    samples = tf.shape(audio)[0]
    positions = tf.range(0.0, tf.cast(samples - 1, tf.float32), factor)
    # float32 positions drift: i * factor can round up onto the last sample (a 40,351-
    # sample clip at 0.93264604 did), so the left neighbour is clamped below it
    left = tf.minimum(tf.cast(tf.floor(positions), tf.int32), samples - 2)
    weight = tf.clip_by_value(positions - tf.cast(left, tf.float32), 0.0, 1.0)
    return (1.0 - weight) * tf.gather(audio, left) + weight * tf.gather(audio, left + 1)


def perturb(cfg, audio: tf.Tensor, seed: tf.Tensor) -> tf.Tensor:
    """Speed (by linear-interpolation resampling), gain, and with
    ``data.noise_probability`` white or brown noise at an SNR from ``data.snr_db``."""
    d = cfg.data
    seeds = tf.random.experimental.stateless_split(tf.cast(seed, tf.int32), 6)
    factor = tf.random.stateless_uniform([], seeds[0], d.speed[0], d.speed[1])
    audio = resample(audio, factor)
    gain = tf.random.stateless_uniform([], seeds[1], d.gain_db[0], d.gain_db[1])
    audio = audio * tf.pow(10.0, gain / 20.0)
    white = tf.random.stateless_normal(tf.shape(audio), seeds[2])
    brown = tf.cumsum(white)
    brown = brown - tf.reduce_mean(brown)
    use_brown = tf.random.stateless_uniform([], seeds[3]) < 0.5
    noise = tf.where(use_brown, brown, white)
    snr = tf.random.stateless_uniform([], seeds[4], d.snr_db[0], d.snr_db[1])
    signal_power = tf.reduce_mean(tf.square(audio)) + 1e-10
    noise_power = tf.reduce_mean(tf.square(noise)) + 1e-10
    scale = tf.sqrt(signal_power / (noise_power * tf.pow(10.0, snr / 10.0)))
    noisy = tf.random.stateless_uniform([], seeds[5]) < d.noise_probability
    audio = tf.where(noisy, audio + scale * noise, audio)
    return tf.clip_by_value(audio, -1.0, 1.0)


def _padded(dataset: tf.data.Dataset, batch: int) -> tf.data.Dataset:
    return dataset.padded_batch(batch, padded_shapes=([None], [None]))


def build_dataset(cfg, split: str, input_context: tf.distribute.InputContext | None = None):
    """``tf.data.Dataset`` of ``(audio, labels)`` batches for one split."""
    from deeptasks.datasets.batching import input_pipeline

    check(cfg)
    if split not in speech.SPLITS:
        raise UserError(f"unknown split '{split}'; valid: train, val, test")
    batch, pipelines, pipeline_id = input_pipeline(cfg.train.batch_size, input_context)
    audio, texts, _ = examples(cfg, split)
    labels = [encode(t, ALPHABET) for t in texts]  # texts come normalised
    if split == "train":
        limit = cfg.data.max_seconds * SAMPLE_RATE
        kept = [k for k, a in enumerate(audio) if len(a) <= limit and labels[k]]
        audio, labels = [audio[k] for k in kept], [labels[k] for k in kept]
    if not audio:
        raise UserError(f"the {split} split has no usable utterances; check data.source")
    items = tf.data.Dataset.from_tensor_slices(
        (ragged_rows(audio, np.int16), ragged_rows(labels, np.int32))
    )
    if split != "train":
        items = items.map(lambda a, y: (to_float(a), y), num_parallel_calls=AUTOTUNE)
        replicas = 1 if input_context is None else input_context.num_replicas_in_sync
        if replicas > 1:  # every replica sees every item once: see evaluation_batches
            return _padded(items.repeat(replicas // pipelines), 1).prefetch(AUTOTUNE)
        return _padded(items, batch).cache().prefetch(AUTOTUNE)
    seed = cfg.train.seed + 7919 * pipeline_id
    if pipelines > 1:
        items = items.shard(pipelines, pipeline_id)
    items = items.shuffle(cfg.data.shuffle_buffer, seed=seed, reshuffle_each_iteration=True)
    items = items.repeat().enumerate()

    def prepare(index, pair):
        waveform, label = pair
        waveform = to_float(waveform)
        if cfg.data.augment:
            room = augment.apply(cfg, waveform, tf.stack([tf.cast(seed, tf.int64) + 1, index]))
            waveform = perturb(cfg, room, tf.stack([tf.cast(seed, tf.int64), index]))
        return waveform, label

    items = items.map(prepare, num_parallel_calls=AUTOTUNE)
    boundaries = [int(s * SAMPLE_RATE) for s in BUCKET_SECONDS]
    return items.bucket_by_sequence_length(
        lambda a, y: tf.shape(a)[0],
        boundaries,
        [batch] * (len(boundaries) + 1),
        padded_shapes=([None], [None]),
        drop_remainder=True,
    ).prefetch(AUTOTUNE)


def describe_data(cfg) -> dict[str, Any]:
    check(cfg)
    if cfg.data.source == "speech":
        info = speech.summary(corpus_dir(cfg))
        info["splits"] = {k: v["utterances"] for k, v in info["splits"].items()} | {
            "detail": info["splits"]
        }
        return info
    splits = {s: len(examples(cfg, s)[0]) for s in speech.SPLITS}
    return {"corpus": cfg.data.source, "splits": splits}
