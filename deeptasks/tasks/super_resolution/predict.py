"""User images in, upscaled PNGs out."""

from __future__ import annotations

from pathlib import Path

import keras
import numpy as np
import tensorflow as tf

from deeptasks.common.io import (
    read_image,
    refuse_overwrite,
    to_uint8,
    write_example_image,
    write_image,
)
from deeptasks.common.tiling import with_self_ensemble
from deeptasks.datasets import image_pipeline as ip
from deeptasks.datasets import image_sources as sources
from deeptasks.tasks.super_resolution.inference import super_resolve


def predict(
    model: keras.Model,
    cfg,
    inputs: list[Path],
    out_dir: Path,
    force: bool = False,
    self_ensemble: bool | None = None,
) -> list[Path]:
    """Upscale user images (RGB, grey or RGBA, any size) to PNGs in ``out_dir``;
    ``self_ensemble``: average over each image's 8 flips and quarter-turns (8x the time)."""
    cfg = with_self_ensemble(cfg, self_ensemble)
    scale = cfg.data.scale
    images = [(Path(p), *read_image(p)) for p in inputs]  # read all first: fail before writing
    targets = [Path(out_dir) / f"{path.stem}_x{scale}.png" for path, _, _ in images]
    for target in targets:
        refuse_overwrite(target, force)
    written = []
    for (_, pixels, kind), target in zip(images, targets):
        rgb = np.repeat(pixels, 3, axis=-1) if kind == "grey" else pixels[..., :3]
        output = to_uint8(super_resolve(model, cfg, rgb.astype(np.float32) / 255.0))
        if kind == "grey":
            output = to_uint8(output.astype(np.float32).mean(axis=-1, keepdims=True) / 255.0)
        elif kind == "rgba":
            alpha = ip.bicubic_upscale(tf.constant(pixels[..., 3:] / 255.0, tf.float32), scale)
            output = np.concatenate([output, to_uint8(alpha.numpy())], axis=-1)
        written.append(write_image(target, output))
    return written


def example_inputs(cfg, folder: Path) -> list[Path]:
    """The first test image, cropped to at most 96 x 128, as a PNG in ``folder``."""
    return write_example_image(next(iter(sources.split_images(cfg, "test"))).numpy(), folder)
