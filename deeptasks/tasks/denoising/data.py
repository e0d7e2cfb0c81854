"""Denoising datasets: (noisy, clean) pairs from the photos corpus, a folder or DIV2K.

* train: endless random clean patches (flips, 90-degree rotations) with noise drawn on the
  fly, a fresh draw for every patch;
* val: fixed crops of the validation images with noise fixed by ``data.test_seed``;
* test: the test images (centre-cropped to ``data.test_crop``), noise fixed by seed, so
  every run and every baseline sees the same noisy images.

Elements are ``(noisy, clean)`` for DnCNN and ``(noisy, {"denoised": clean, "noise_map":
sigma})`` for CBDNet, where ``sigma`` is the true per-pixel noise level on the [0, 1] scale.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import numpy as np
import tensorflow as tf

from deeptasks.datasets import image_pipeline as ip
from deeptasks.datasets import image_sources as sources
from deeptasks.datasets import noise
from deeptasks.datasets.batching import evaluation_batches, input_pipeline, training_batches
from deeptasks.datasets.image_sources import cached_training_images, split_images
from deeptasks.errors import UserError
from deeptasks.tasks.base import model_spec

AUTOTUNE = tf.data.AUTOTUNE
SIGMA_CAP = 255.0


def check(cfg) -> None:
    """Refuse configs that cannot work, with the fix."""
    data = cfg.data
    if data.noise == "realistic" and not data.color:
        raise UserError("data.noise=realistic simulates a colour camera; set data.color=true")
    low, high = data.sigma_range
    if not 0 <= low <= high <= SIGMA_CAP or not 0 <= data.sigma <= SIGMA_CAP:
        raise UserError(
            "noise levels are on the 0-255 scale: need 0 <= data.sigma <= 255 and "
            f"0 <= low <= high <= 255 in data.sigma_range; got {data.sigma}, {data.sigma_range}"
        )
    if data.patch_size < 8:
        raise UserError(f"data.patch_size={data.patch_size} is too small; use 8 or more")


def facts(cfg) -> dict:
    """What the models are built from besides their own config: the image channels."""
    return {"channels": 3 if cfg.data.color else 1}


def is_blind(cfg) -> bool:
    """Whether the model must work without being told the noise level."""
    blind_model = model_spec(cfg).extra.get("estimates_noise", False)
    return blind_model or cfg.data.blind or cfg.data.noise == "realistic"


def wants_noise_map(cfg) -> bool:
    return model_spec(cfg).extra["outputs"] == "dict"


def to_model_colour(image: tf.Tensor, color: bool) -> tf.Tensor:
    """[..., 3] RGB -> the model's colour space: RGB, or BT.601 luma for grey models."""
    return image if color else tf.image.rgb_to_grayscale(image)


def add_noise(cfg, clean: tf.Tensor, seed: tf.Tensor, training: bool) -> tuple:
    """``(noisy, sigma_map)`` for one clean ``[H, W, C]`` image; ``training`` draws the
    level of blind gaussian noise from ``data.sigma_range``."""
    seed = tf.cast(seed, tf.int32)
    if cfg.data.noise == "realistic":
        return noise.realistic_noise(clean, seed)
    sigma = tf.constant(cfg.data.sigma, tf.float32)
    if training and cfg.data.blind:
        low, high = cfg.data.sigma_range
        level_seed = tf.random.experimental.stateless_fold_in(seed, 1)
        sigma = tf.random.stateless_uniform([], level_seed, low, high)
    noisy = noise.add_gaussian(clean, sigma, seed)
    return noisy, tf.ones_like(clean) * sigma / 255.0


def _noisy_pair(cfg, clean: tf.Tensor, seed: tf.Tensor, training: bool = False):
    """The model's ``(input, target)`` for one clean image: the target carries the true
    noise-level map for models that estimate one."""
    noisy, sigma_map = add_noise(cfg, clean, seed, training)
    if wants_noise_map(cfg):
        return noisy, {"denoised": clean, "noise_map": sigma_map}
    return noisy, clean


def centre_crop(image: tf.Tensor, size: int) -> tf.Tensor:
    """The central ``size``x``size`` part of an image (whole sides where smaller)."""
    if not size:
        return image
    shape = tf.shape(image)
    height, width = tf.minimum(shape[0], size), tf.minimum(shape[1], size)
    top, left = (shape[0] - height) // 2, (shape[1] - width) // 2
    return image[top : top + height, left : left + width]


def clean_test_images(cfg) -> tf.data.Dataset:
    """Clean float test images in the model's colour space, centre-cropped."""
    color = cfg.data.color
    return split_images(cfg, "test").map(
        lambda image: to_model_colour(centre_crop(ip.to_float(image), cfg.data.test_crop), color),
        num_parallel_calls=AUTOTUNE,
    )


def test_triples(cfg) -> Iterator[tuple[np.ndarray, np.ndarray, np.ndarray]]:
    """``(clean, noisy, sigma_map)`` float32 arrays of every test image, noise fixed by
    ``data.test_seed`` and the image's index."""
    seeded = ip.element_seeds(clean_test_images(cfg), cfg.data.test_seed)
    for clean, seed in seeded:
        noisy, sigma_map = add_noise(cfg, clean, seed, training=False)
        yield clean.numpy(), noisy.numpy(), sigma_map.numpy()


def build_dataset(cfg, split: str, input_context: tf.distribute.InputContext | None = None):
    """``tf.data.Dataset`` of ``(noisy, target)`` float32 pairs for one split."""
    check(cfg)
    batch, pipelines, pipeline_id = input_pipeline(cfg.train.batch_size, input_context)
    color, size = cfg.data.color, cfg.data.patch_size
    if split == "train":
        seed = cfg.train.seed + 7919 * pipeline_id  # each pipeline draws its own patches

        def patches(image, element_seed):
            seeds = tf.random.experimental.stateless_split(tf.cast(element_seed, tf.int32), 2)
            crops = ip.random_crops(ip.to_float(image), size, cfg.data.patches_per_image, seeds[0])
            (crops,) = ip.random_dihedral((crops,), seeds[1])
            return to_model_colour(crops, color)

        images = ip.element_seeds(cached_training_images(cfg).repeat(), seed)
        clean = images.map(patches, num_parallel_calls=AUTOTUNE).unbatch()
        noisy = ip.element_seeds(clean, seed + 1).map(
            lambda patch, patch_seed: _noisy_pair(cfg, patch, patch_seed, training=True),
            num_parallel_calls=AUTOTUNE,
        )
        return training_batches(noisy, cfg.data.shuffle_buffer, batch, cfg.train.seed + pipeline_id)
    if split == "val":
        crops = (
            split_images(cfg, "val")
            .map(
                lambda image: to_model_colour(
                    ip.grid_crops(
                        ip.to_float(image), cfg.data.val_patch_size, cfg.data.val_patches_per_image
                    ),
                    color,
                ),
                num_parallel_calls=AUTOTUNE,
            )
            .unbatch()
        )
        pairs = ip.element_seeds(crops, cfg.data.test_seed + 1).map(
            lambda crop, crop_seed: _noisy_pair(cfg, crop, crop_seed),
            num_parallel_calls=AUTOTUNE,
        )
        return evaluation_batches(pairs, batch, input_context).cache().prefetch(AUTOTUNE)
    if split == "test":
        pairs = ip.element_seeds(clean_test_images(cfg), cfg.data.test_seed).map(
            lambda clean, image_seed: _noisy_pair(cfg, clean, image_seed),
            num_parallel_calls=AUTOTUNE,
        )
        pairs = pairs.shard(pipelines, pipeline_id) if pipelines > 1 else pairs
        return pairs.batch(1).prefetch(AUTOTUNE)
    raise UserError(f"unknown split '{split}'; valid: train, val, test")


def describe_noise(cfg) -> str:
    colour = "colour" if cfg.data.color else "grey"
    if cfg.data.noise == "realistic":
        return f"{colour}, realistic camera noise (Poisson-Gaussian, Bayer, gamma, JPEG)"
    return f"{colour}, AWGN sigma={cfg.data.sigma:g}"


def describe_data(cfg) -> dict[str, Any]:
    check(cfg)
    training = (
        f"sigma uniform in {list(cfg.data.sigma_range)}"
        if cfg.data.blind and cfg.data.noise == "gaussian"
        else "as tested"
    )
    return {
        **sources.split_sizes(cfg),
        "noise": describe_noise(cfg),
        "training_noise": training,
        "test_crop": cfg.data.test_crop,
        "test_seed": cfg.data.test_seed,
    }
