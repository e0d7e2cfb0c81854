"""User images in: class-index palette PNGs and overlays out."""

from __future__ import annotations

from pathlib import Path

import keras
import numpy as np

from deeptasks.common.io import read_image, refuse_overwrite, write_example_image, write_image
from deeptasks.tasks.segmentation import data
from deeptasks.tasks.segmentation.inference import segment
from deeptasks.tasks.segmentation.samples import overlay, write_mask_png


def predict(
    model: keras.Model, cfg, inputs: list[Path], out_dir: Path, force: bool = False
) -> list[Path]:
    """Segment user images (any size; grey, RGB, RGBA): ``<name>_mask.png`` (a palette
    PNG whose values are class indices, coloured) and ``<name>_overlay.png``."""
    import tensorflow as tf

    images = [(Path(p), read_image(p)[0]) for p in inputs]  # read all first: fail before writing
    out_dir = Path(out_dir)
    targets = [
        (out_dir / f"{path.stem}_mask.png", out_dir / f"{path.stem}_overlay.png")
        for path, _ in images
    ]
    for target in [t for pair in targets for t in pair]:
        refuse_overwrite(target, force)
    size, written = cfg.data.image_size, []
    for (_, pixels), (mask_path, overlay_path) in zip(images, targets):
        rgb = np.repeat(pixels, 3, axis=-1) if pixels.shape[-1] == 1 else pixels[..., :3]
        resized = tf.image.resize(rgb, [size, size], antialias=True)
        mask = segment(model, data.normalise(resized).numpy()[None], [rgb.shape[:2]])[0]
        written.append(write_mask_png(mask_path, mask))
        written.append(write_image(overlay_path, overlay(rgb, mask)))
    return written


def example_inputs(cfg, folder: Path) -> list[Path]:
    """The first test image, cropped to at most 96 x 128, as a PNG in ``folder``."""
    return write_example_image(next(iter(data.examples(cfg, "test")))[0].numpy(), folder)
