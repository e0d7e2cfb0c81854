"""COCO detection metrics through pycocotools (the reference implementation).

Ground truth and detections are per-image lists of corner boxes ``(y0, x0, y1, x1)`` in
pixels; they are converted to COCO's ``[x, y, w, h]`` records in memory.
"""

from __future__ import annotations

import contextlib
import io
from collections.abc import Sequence
from typing import Any

import numpy as np


def _xywh(box) -> list[float]:
    y0, x0, y1, x1 = (float(v) for v in box)
    return [x0, y0, x1 - x0, y1 - y0]


def to_coco_results(image_ids, boxes, scores, labels) -> list[dict[str, Any]]:
    """Detections in COCO's result format (category ids are class index + 1)."""
    return [
        {
            "image_id": int(image_id),
            "category_id": int(label) + 1,
            "bbox": [round(v, 2) for v in _xywh(box)],
            "score": round(float(score), 5),
        }
        for image_id, image_boxes, image_scores, image_labels in zip(
            image_ids, boxes, scores, labels
        )
        for box, score, label in zip(image_boxes, image_scores, image_labels)
    ]


def coco_evaluate(
    truth: Sequence[tuple[np.ndarray, np.ndarray]],
    detections: Sequence[tuple[np.ndarray, np.ndarray, np.ndarray]],
    class_names: Sequence[str],
    image_size: tuple[int, int],
) -> dict[str, Any]:
    """COCO box metrics of ``detections`` against ``truth``.

    Args:
        truth: per image ``(boxes [N, 4], labels [N])``.
        detections: per image ``(boxes [M, 4], scores [M], labels [M])``.
        class_names: names of class indices 0..C-1.
        image_size: ``(height, width)`` of every image.

    Returns ``map_50_95``, ``map_50``, ``map_75``, ``recall`` (AR@100) and per-class AP
    at [.5:.95] (``-1`` for a class with no ground truth).
    """
    from pycocotools.coco import COCO
    from pycocotools.cocoeval import COCOeval

    height, width = image_size
    images = [{"id": i, "height": height, "width": width} for i in range(len(truth))]
    annotations = []
    for image_id, (boxes, labels) in enumerate(truth):
        for box, label in zip(boxes, labels):
            x, y, w, h = _xywh(box)
            annotations.append(
                {
                    "id": len(annotations) + 1,
                    "image_id": image_id,
                    "category_id": int(label) + 1,
                    "bbox": [x, y, w, h],
                    "area": w * h,
                    "iscrowd": 0,
                }
            )
    categories = [{"id": i + 1, "name": name} for i, name in enumerate(class_names)]
    results = to_coco_results(range(len(detections)), *zip(*detections)) if detections else []
    empty = {
        "map_50_95": 0.0,
        "map_50": 0.0,
        "map_75": 0.0,
        "recall": 0.0,
        "per_class_ap": {name: 0.0 for name in class_names},
        "detections": 0,
    }
    if not results or not annotations:
        return empty
    with contextlib.redirect_stdout(io.StringIO()):  # pycocotools prints its progress
        ground = COCO()
        ground.dataset = {"images": images, "annotations": annotations, "categories": categories}
        ground.createIndex()
        evaluation = COCOeval(ground, ground.loadRes(results), "bbox")
        evaluation.evaluate()
        evaluation.accumulate()
        evaluation.summarize()
    stats = evaluation.stats
    # precision: [iou thresholds, recall points, classes, area ranges, max dets]
    precision = evaluation.eval["precision"][:, :, :, 0, -1]
    per_class = {}
    for index, name in enumerate(class_names):
        values = precision[:, :, index]
        values = values[values > -1]
        per_class[name] = round(float(values.mean()), 4) if values.size else -1.0
    return {
        "map_50_95": round(float(stats[0]), 4),
        "map_50": round(float(stats[1]), 4),
        "map_75": round(float(stats[2]), 4),
        "recall": round(float(stats[8]), 4),
        "per_class_ap": per_class,
        "detections": len(results),
    }


def coco_evaluate_any_class(
    truth: Sequence[tuple[np.ndarray, np.ndarray]],
    detections: Sequence[tuple[np.ndarray, np.ndarray, np.ndarray]],
    image_size: tuple[int, int],
) -> dict[str, Any]:
    """:func:`coco_evaluate` with every class merged into one ("object"): how well
    objects are found and boxed, apart from naming them."""
    return coco_evaluate(
        [(boxes, np.zeros_like(labels)) for boxes, labels in truth],
        [(boxes, scores, np.zeros_like(labels)) for boxes, scores, labels in detections],
        ["object"],
        image_size,
    )
