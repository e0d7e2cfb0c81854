"""Super-resolution datasets: (input, HR) pairs from the photos corpus, a folder or DIV2K.

* train: endless random HR patches with flips and 90-degree rotations, each degraded by
  antialiased bicubic downscaling; the input is the LR patch (or its bicubic upscale for
  "upsampled" models);
* val: fixed, evenly spread crops of the validation images, degraded the same way;
* test: whole test images (cropped to a multiple of the scale), one per batch.
"""

from __future__ import annotations

from typing import Any

import tensorflow as tf

from deeptasks.datasets import image_pipeline as ip
from deeptasks.datasets import image_sources as sources
from deeptasks.datasets.batching import evaluation_batches, input_pipeline, training_batches
from deeptasks.datasets.image_sources import cached_training_images, split_images
from deeptasks.errors import UserError
from deeptasks.tasks.base import model_spec

AUTOTUNE = tf.data.AUTOTUNE


def facts(cfg) -> dict:
    """What the models are built from besides their own config: the upscaling factor."""
    return {"scale": cfg.data.scale}


def train_scales(cfg) -> tuple[int, ...]:
    spec = model_spec(cfg)
    scales = tuple(cfg.data.train_scales) or spec.extra.get("train_scales") or (cfg.data.scale,)
    if len(scales) > 1 and spec.extra["input"] != "upsampled":
        raise UserError(
            f"model {cfg.model.name} learns one scale; "
            "set data.train_scales to one value or use vdsr/srcnn"
        )
    for scale in scales:
        if scale not in (2, 3, 4) or cfg.data.hr_patch_size % scale:
            raise UserError(
                f"data.hr_patch_size={cfg.data.hr_patch_size} must be a multiple of "
                f"scale {scale} (2, 3 or 4)"
            )
    return scales


def upsampled_input(cfg) -> bool:
    return model_spec(cfg).extra["input"] == "upsampled"


def degrade(hr: tf.Tensor, scale, upsampled: bool) -> tf.Tensor:
    """The model input for HR images: bicubic LR, or its bicubic upscale."""
    low = ip.bicubic_downscale(hr, scale)
    return ip.bicubic_upscale(low, scale) if upsampled else low


def _train_pairs(cfg, images: tf.data.Dataset, seed: int) -> tf.data.Dataset:
    scales = tf.constant(train_scales(cfg), tf.int32)
    upsampled = upsampled_input(cfg)
    size, count = cfg.data.hr_patch_size, cfg.data.patches_per_image

    def patches(image, element_seed):
        seeds = tf.random.experimental.stateless_split(tf.cast(element_seed, tf.int32), 3)
        pick = tf.random.stateless_uniform([], seeds[0], 0, tf.size(scales), tf.int32)
        hr = ip.to_float(ip.random_crops(image, size, count, seeds[1]))
        x = degrade(hr, scales[pick], upsampled)
        return ip.random_dihedral((x, hr), seeds[2])

    stream = ip.element_seeds(images.repeat(), seed)
    return stream.map(patches, num_parallel_calls=AUTOTUNE).unbatch()


def build_dataset(cfg, split: str, input_context: tf.distribute.InputContext | None = None):
    """``tf.data.Dataset`` of ``(input, hr)`` float32 pairs in [0, 1] for one split."""
    batch, pipelines, pipeline_id = input_pipeline(cfg.train.batch_size, input_context)
    if split == "train":
        # Each input pipeline draws its own random patches from every training image.
        pairs = _train_pairs(cfg, cached_training_images(cfg), cfg.train.seed + 7919 * pipeline_id)
        return training_batches(pairs, cfg.data.shuffle_buffer, batch, cfg.train.seed + pipeline_id)
    images = split_images(cfg, split).map(ip.to_float, num_parallel_calls=AUTOTUNE)
    scale, upsampled = cfg.data.scale, upsampled_input(cfg)
    if split == "val":
        size = cfg.data.val_patch_size - cfg.data.val_patch_size % scale
        crops = images.map(
            lambda image: ip.grid_crops(image, size, cfg.data.val_patches_per_image),
            num_parallel_calls=AUTOTUNE,
        ).unbatch()
        pairs = crops.map(
            lambda hr: (degrade(hr, scale, upsampled), hr), num_parallel_calls=AUTOTUNE
        )
        return evaluation_batches(pairs, batch, input_context).cache().prefetch(AUTOTUNE)
    if split == "test":
        whole = images.map(lambda image: ip.modcrop(image, scale), num_parallel_calls=AUTOTUNE)
        whole = whole.shard(pipelines, pipeline_id) if pipelines > 1 else whole
        pairs = whole.map(lambda hr: (degrade(hr, scale, upsampled), hr))
        return pairs.batch(1).prefetch(AUTOTUNE)
    raise UserError(f"unknown split '{split}'; valid: train, val, test")


def describe_data(cfg) -> dict[str, Any]:
    return {
        **sources.split_sizes(cfg),
        "degradation": "antialiased bicubic downscaling (tf.image.resize, bicubic, antialias=True)",
        "scale": cfg.data.scale,
        "train_scales": list(train_scales(cfg)),
    }
