"""Where image-to-image tasks get their images: the photos corpus, a user folder or DIV2K.

The functions take a task config whose ``data`` section has ``source``, ``folder``,
``tfds_data_dir``, ``test_limit`` and ``train_rescales`` fields; super-resolution and
denoising share them, so both see the same, leak-free splits.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

import tensorflow as tf

from deeptasks.datasets import image_pipeline as ip
from deeptasks.datasets import photos
from deeptasks.datasets.tfds import div2k_images

AUTOTUNE = tf.data.AUTOTUNE
DIV2K_SPLITS = {"train": (1, 780), "val": (781, 20), "test": (801, 100)}  # see datasets/tfds.py


@lru_cache(maxsize=8)
def _file_splits(source: str, folder: str) -> tuple[dict, dict]:
    return photos.split_files(source, folder)


def split_paths(cfg, split: str) -> list:
    """Image files of one split of a file-based source (the test split cut to
    ``data.test_limit``); for DIV2K, which has no files here, its image numbers."""
    if cfg.data.source == "div2k":
        first, count = DIV2K_SPLITS[split]
        return [f"div2k-{i:04d}" for i in range(first, first + count)]
    files, _ = _file_splits(cfg.data.source, cfg.data.folder)
    paths = files[split]
    return paths[: cfg.data.test_limit] if split == "test" and cfg.data.test_limit else paths


def split_images(cfg, split: str) -> tf.data.Dataset:
    """uint8 images of one split of the configured source."""
    if cfg.data.source == "div2k":
        return div2k_images(split, cfg.data.tfds_data_dir)
    return ip.image_files_dataset(split_paths(cfg, split))


def split_sizes(cfg) -> dict[str, Any]:
    if cfg.data.source == "div2k":
        return {
            "corpus": "div2k (tfds)",
            "splits": {split: count for split, (_, count) in DIV2K_SPLITS.items()},
        }
    files, info = _file_splits(cfg.data.source, cfg.data.folder)
    return {**info, "splits": {split: len(split_paths(cfg, split)) for split in files}}


def cached_training_images(cfg) -> tf.data.Dataset:
    """The training images, each also resized by every factor of ``data.train_rescales``
    (antialiased), cached in memory as uint8 (a quarter of float32's memory and copy
    time): big, smooth wallpapers then also yield dense, detailed patches."""
    factors = cfg.data.train_rescales or (1.0,)
    images = split_images(cfg, "train").map(ip.to_float, num_parallel_calls=AUTOTUNE)
    images = images.flat_map(lambda image: ip.rescaled_copies(image, factors)).map(
        lambda image: tf.image.convert_image_dtype(image, tf.uint8, saturate=True)
    )
    return images.cache()


def batches_per_pass(cfg) -> int:
    """Training batches that visit every image of :func:`cached_training_images` once
    (``data.patches_per_image`` patches each), plus two: a bench's warm-up."""
    images = split_sizes(cfg)["splits"]["train"] * len(cfg.data.train_rescales or (1,))
    return images * cfg.data.patches_per_image // cfg.train.batch_size + 2
