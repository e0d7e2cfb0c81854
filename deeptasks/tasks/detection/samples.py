"""What a person looks at: test images with the true boxes beside the model's, each box
in its class colour and labelled (also used by predict)."""

from __future__ import annotations

from pathlib import Path

import keras
import numpy as np

from deeptasks.common.plots import side_by_side
from deeptasks.tasks.detection import data
from deeptasks.tasks.detection.evaluation import labelled_batches
from deeptasks.tasks.detection.inference import detect

SAMPLE_IMAGES = 4
DRAW_THRESHOLD = 0.3  # samples and predict draw detections scoring at least this
COLOURS = [
    (230, 25, 75),
    (60, 180, 75),
    (255, 225, 25),
    (0, 130, 200),
    (245, 130, 48),
    (145, 30, 180),
    (70, 240, 240),
    (240, 50, 230),
    (210, 245, 60),
    (250, 190, 212),
]


def to_display(image: np.ndarray) -> np.ndarray:
    """A normalised model input back to uint8 RGB."""
    return np.clip(np.round((image * data.STD + data.MEAN) * 255), 0, 255).astype(np.uint8)


def draw_boxes(image: np.ndarray, boxes, labels, names, scores=None) -> np.ndarray:
    """The image with each box outlined in its class colour and labelled."""
    from PIL import Image, ImageDraw

    canvas = Image.fromarray(image)
    draw = ImageDraw.Draw(canvas)
    for index, (box, label) in enumerate(zip(boxes, labels)):
        y0, x0, y1, x1 = (float(v) for v in box)
        colour = COLOURS[int(label) % len(COLOURS)]
        draw.rectangle([x0, y0, max(x0, x1 - 1), max(y0, y1 - 1)], outline=colour, width=2)
        text = names[int(label)] + (f" {scores[index]:.2f}" if scores is not None else "")
        draw.text((x0 + 3, y0 + 2), text, fill=colour)
    return np.asarray(canvas)


def write_samples(model: keras.Model, cfg, samples_dir: Path) -> list[Path]:
    """Test images with the true boxes beside the model's (score >= 0.3)."""
    names = data.class_names(cfg)
    images, truth = next(labelled_batches(cfg))
    found = detect(model, cfg, images[:SAMPLE_IMAGES])
    written = []
    for index, (image, (true_boxes, true_labels), (boxes, scores, labels)) in enumerate(
        zip(images, truth, found)
    ):
        keep = scores >= DRAW_THRESHOLD
        picture = to_display(image)
        panels = [
            (f"truth ({len(true_labels)})", draw_boxes(picture, true_boxes, true_labels, names)),
            (
                f"{cfg.model.name} ({int(keep.sum())} >= {DRAW_THRESHOLD})",
                draw_boxes(picture, boxes[keep], labels[keep], names, scores[keep]),
            ),
        ]
        written.append(side_by_side(samples_dir / f"test{index:02d}_boxes.png", panels))
    return written
