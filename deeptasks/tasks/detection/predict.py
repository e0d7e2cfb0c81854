"""User images in: pictures with labelled boxes and ``detections.json`` in COCO's
result format out."""

from __future__ import annotations

from pathlib import Path

import keras
import numpy as np

from deeptasks.common.io import (
    read_image,
    refuse_overwrite,
    write_example_image,
    write_image,
    write_json,
)
from deeptasks.common.metrics.detection import to_coco_results
from deeptasks.errors import UserError
from deeptasks.tasks.detection import data
from deeptasks.tasks.detection.inference import detect
from deeptasks.tasks.detection.samples import DRAW_THRESHOLD, draw_boxes


def predict(
    model: keras.Model,
    cfg,
    inputs: list[Path],
    out_dir: Path,
    force: bool = False,
    score_threshold: float | None = None,
) -> list[Path]:
    """Detect objects in user images (any size; grey, RGB, RGBA): ``<name>_detections.png``
    with labelled boxes and ``detections.json`` in COCO's result format (``image_id`` is
    the input's position, ``file_name`` names it)."""
    import tensorflow as tf

    threshold = DRAW_THRESHOLD if score_threshold is None else score_threshold
    if not 0 <= threshold <= 1:
        raise UserError(f"--score-threshold must be in [0, 1]; got {threshold}")
    images = [(Path(p), read_image(p)[0]) for p in inputs]  # read all first: fail before writing
    out_dir = Path(out_dir)
    targets = [out_dir / f"{path.stem}_detections.png" for path, _ in images]
    json_path = out_dir / "detections.json"
    for target in [*targets, json_path]:
        refuse_overwrite(target, force)
    names, size = data.class_names(cfg), cfg.data.image_size
    written, results = [], []
    no_boxes, no_labels = tf.zeros([0, 4]), tf.zeros([0], tf.int32)
    for index, ((path, pixels), target) in enumerate(zip(images, targets)):
        rgb = np.repeat(pixels, 3, axis=-1) if pixels.shape[-1] == 1 else pixels[..., :3]
        image, _, _ = data.letterbox(tf.constant(rgb), no_boxes, no_labels, size, 1)
        boxes, scores, labels = detect(model, cfg, image.numpy()[None])[0]
        keep = scores >= threshold
        scale = size / max(rgb.shape[:2])
        boxes = np.clip(boxes[keep] / scale, 0, [rgb.shape[0], rgb.shape[1]] * 2)
        scores, labels = scores[keep], labels[keep]
        written.append(write_image(target, draw_boxes(rgb, boxes, labels, names, scores)))
        for record in to_coco_results([index], [boxes], [scores], [labels]):
            results.append({**record, "file_name": path.name})
    written.append(write_json(json_path, results))
    return written


def example_inputs(cfg, folder: Path) -> list[Path]:
    """The first test image, cropped to at most 96 x 128, as a PNG in ``folder``."""
    return write_example_image(next(iter(data.examples(cfg, "test")))[0].numpy(), folder)
