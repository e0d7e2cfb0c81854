"""tf.data building blocks for image-to-image tasks: decode, crop, degrade, augment.

Every random op is stateless and seeded per element (seed, element index), so a
pipeline gives the same patches whatever ``num_parallel_calls`` does, and each input
pipeline of a distributed run draws its own stream by offsetting the seed.
Images are float32 in [0, 1] from here on.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import tensorflow as tf

AUTOTUNE = tf.data.AUTOTUNE
# ImageNet statistics: what keras-hub's pretrained image encoders expect after 1/255.
IMAGENET_MEAN = (0.485, 0.456, 0.406)
IMAGENET_STD = (0.229, 0.224, 0.225)


def decode_file(path: tf.Tensor) -> tf.Tensor:
    """Read and decode one image file to uint8 HxWx3 (grey is repeated, alpha dropped)."""
    image = tf.io.decode_image(tf.io.read_file(path), channels=3, expand_animations=False)
    image.set_shape([None, None, 3])
    return image


def image_files_dataset(paths: Sequence[Path]) -> tf.data.Dataset:
    """uint8 images decoded from files, in the given order."""
    return tf.data.Dataset.from_tensor_slices([str(p) for p in paths]).map(
        decode_file, num_parallel_calls=AUTOTUNE
    )


def to_float(image: tf.Tensor) -> tf.Tensor:
    return tf.image.convert_image_dtype(image, tf.float32)


def imagenet_normalise(images) -> tf.Tensor:
    """uint8 (or 0-255 float) images -> ImageNet-normalised float32 (keras-hub encoders'
    input scale)."""
    return (tf.cast(images, tf.float32) / 255.0 - IMAGENET_MEAN) / IMAGENET_STD


def modcrop(image: tf.Tensor, scale: int) -> tf.Tensor:
    """Crop the bottom/right edge so both sides are multiples of ``scale``."""
    shape = tf.shape(image)
    height, width = shape[-3] - shape[-3] % scale, shape[-2] - shape[-2] % scale
    return image[..., :height, :width, :]


def bicubic_downscale(image: tf.Tensor, scale: int | tf.Tensor) -> tf.Tensor:
    """Bicubic downscaling with an antialiasing kernel, as SR benchmarks make LR images.

    Sides must already be multiples of ``scale`` (see :func:`modcrop`).
    """
    shape = tf.shape(image)
    size = tf.stack([shape[-3] // scale, shape[-2] // scale])
    small = tf.image.resize(image, size, method="bicubic", antialias=True)
    return tf.clip_by_value(small, 0.0, 1.0)


def bicubic_upscale(image: tf.Tensor, scale: int | tf.Tensor) -> tf.Tensor:
    """Bicubic interpolation by ``scale``: the classical SR baseline."""
    shape = tf.shape(image)
    size = tf.stack([shape[-3] * scale, shape[-2] * scale])
    return tf.clip_by_value(tf.image.resize(image, size, method="bicubic"), 0.0, 1.0)


def rescaled_copies(image: tf.Tensor, factors: Sequence[float]) -> tf.data.Dataset:
    """The image resized by each factor (antialiased bicubic), as a dataset of images."""
    shape = tf.cast(tf.shape(image)[:2], tf.float32)
    copies = None
    for factor in factors:
        copy = image
        if factor != 1.0:
            size = tf.maximum(tf.cast(tf.round(shape * factor), tf.int32), 1)
            copy = tf.clip_by_value(
                tf.image.resize(image, size, "bicubic", antialias=True), 0.0, 1.0
            )
        single = tf.data.Dataset.from_tensors(copy)
        copies = single if copies is None else copies.concatenate(single)
    return copies


def random_crops(image: tf.Tensor, size: int, count: int, seed: tf.Tensor) -> tf.Tensor:
    """``count`` random ``size``x``size`` crops of one HxWxC image -> [count, size, size, C].

    Images smaller than ``size`` are reflect-padded first.
    """
    shape = tf.shape(image)
    pad_h, pad_w = tf.maximum(size - shape[0], 0), tf.maximum(size - shape[1], 0)
    image = tf.pad(image, [[0, pad_h], [0, pad_w], [0, 0]], mode="SYMMETRIC")
    shape = tf.shape(image)
    seeds = tf.random.experimental.stateless_split(seed, 2)
    top = tf.random.stateless_uniform([count], seeds[0], 0, shape[0] - size + 1, tf.int32)
    left = tf.random.stateless_uniform([count], seeds[1], 0, shape[1] - size + 1, tf.int32)
    offsets = tf.range(size)
    rows = tf.gather(image, top[:, None] + offsets[None, :])  # [count, size, W, C]
    return tf.gather(rows, left[:, None] + offsets[None, :], axis=2, batch_dims=1)


def random_dihedral(pair: tuple[tf.Tensor, ...], seed: tf.Tensor) -> tuple[tf.Tensor, ...]:
    """The same random flip and 90-degree rotation applied to every tensor of ``pair``
    (each [N, H, W, C]); the 8 symmetries of the square, uniformly."""
    draw = tf.random.stateless_uniform([2], seed, 0, 8, tf.int32)
    flip, turns = draw[0] % 2, draw[1] % 4
    out = []
    for tensor in pair:
        tensor = tf.cond(flip > 0, lambda t=tensor: tf.reverse(t, axis=[2]), lambda t=tensor: t)
        out.append(tf.image.rot90(tensor, turns))
    return tuple(out)


def element_seeds(dataset: tf.data.Dataset, seed: int) -> tf.data.Dataset:
    """Pair each element with its own stateless seed ``[seed, index]``."""
    return dataset.enumerate().map(
        lambda index, element: (element, tf.stack([tf.constant(seed, tf.int64), index])),
        num_parallel_calls=AUTOTUNE,
    )


def grid_crops(image: tf.Tensor, size: int, count: int) -> tf.Tensor:
    """Up to ``count`` fixed, evenly spread ``size``x``size`` crops: deterministic validation
    patches from a whole image ([n, size, size, C])."""
    shape = tf.shape(image)
    size_h, size_w = tf.minimum(size, shape[0]), tf.minimum(size, shape[1])
    side = int(count**0.5)
    crops = []
    for i in range(side):
        for j in range(side):
            top = (shape[0] - size_h) * i // max(side - 1, 1)
            left = (shape[1] - size_w) * j // max(side - 1, 1)
            crop = image[top : top + size_h, left : left + size_w]
            crops.append(tf.image.resize_with_crop_or_pad(crop, size, size))
    return tf.stack(crops)
