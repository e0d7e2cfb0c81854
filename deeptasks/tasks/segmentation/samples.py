"""What a person looks at: image | true mask | predicted mask drawn over the image, in
PASCAL VOC's colours (also used by predict)."""

from __future__ import annotations

import io
from pathlib import Path

import keras
import numpy as np

from deeptasks.common.io import atomic_write_bytes
from deeptasks.common.plots import side_by_side
from deeptasks.tasks.segmentation import data
from deeptasks.tasks.segmentation.evaluation import test_batches
from deeptasks.tasks.segmentation.inference import segment

SAMPLE_IMAGES = 4
OVERLAY_ALPHA = 0.5


def palette(classes: int) -> np.ndarray:
    """PASCAL VOC's colour map: class k -> a distinct RGB colour (background black)."""
    colours = np.zeros((max(classes, 256), 3), np.uint8)
    for k in range(len(colours)):
        value, red, green, blue = k, 0, 0, 0
        for bit in range(8):
            red |= ((value >> 0) & 1) << (7 - bit)
            green |= ((value >> 1) & 1) << (7 - bit)
            blue |= ((value >> 2) & 1) << (7 - bit)
            value >>= 3
        colours[k] = (red, green, blue)
    return colours


def colour_mask(mask: np.ndarray) -> np.ndarray:
    return palette(256)[np.asarray(mask)]


def overlay(image: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """The image with each non-background pixel tinted by its class colour."""
    tinted = (1 - OVERLAY_ALPHA) * image + OVERLAY_ALPHA * colour_mask(mask)
    return np.where(mask[..., None] > 0, tinted, image).round().astype(np.uint8)


def write_mask_png(path: Path, mask: np.ndarray) -> Path:
    """A palette PNG: its pixel values are the class indices, shown in the VOC colours."""
    from PIL import Image

    picture = Image.fromarray(np.asarray(mask, np.uint8), mode="P")
    picture.putpalette(palette(256).reshape(-1).tolist())
    buffer = io.BytesIO()
    picture.save(buffer, format="PNG")
    return atomic_write_bytes(path, buffer.getvalue())


def write_samples(model: keras.Model, cfg, samples_dir: Path) -> list[Path]:
    """Test images: image | true mask | predicted mask, masks drawn over the image."""
    inputs, images, masks = next(test_batches(cfg, SAMPLE_IMAGES))
    found = segment(model, inputs, [m.shape for m in masks])
    names = data.class_names(cfg)
    written = []
    for index, (image, mask, predicted) in enumerate(zip(images, masks, found)):
        present = [names[k] for k in np.unique(mask) if 0 < k < len(names)]
        title = "true classes: " + (", ".join(present) or "none")
        panels = [
            ("image", image),
            ("truth", overlay(image, np.where(mask == data.IGNORE, 0, mask))),
            (cfg.model.name, overlay(image, predicted)),
        ]
        path = samples_dir / f"test{index:02d}_masks.png"
        written.append(side_by_side(path, panels, title=title))
    return written
