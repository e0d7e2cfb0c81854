"""The detection test protocol: COCO box metrics (pycocotools) of the model and of the
box-prior baseline on the test split, per-class and class-agnostic AP, and the bench."""

from __future__ import annotations

import time
from typing import Any

import keras
import numpy as np

from deeptasks.common.metrics.detection import coco_evaluate, coco_evaluate_any_class
from deeptasks.common.throughput import inference_rate, training_throughput
from deeptasks.datasets import scene_pipeline
from deeptasks.errors import UserError
from deeptasks.tasks.detection import baselines, data
from deeptasks.tasks.detection.inference import detect

METRICS = ("map_50_95", "map_50", "map_75", "recall")
EVAL_BATCH = 16
SCENES_TIMED = 200


def labelled_batches(cfg, split: str = "test", limit: int = 0):
    """``(images, [(boxes, labels)])`` batches of a letterboxed split (padding removed)."""
    dataset = data.letterboxed(cfg, split)
    for images, boxes, labels in (dataset.take(limit) if limit else dataset).batch(EVAL_BATCH):
        boxes, labels = boxes.numpy(), labels.numpy()
        yield images.numpy(), [(b[lab >= 0], lab[lab >= 0]) for b, lab in zip(boxes, labels)]


_PRIORS: dict[str, Any] = {}  # data config -> box priors: fitted once, not per test split


def box_prior(cfg, classes: int):
    """The box-prior detections of the data's first training boxes."""
    key = repr(cfg.data)
    if key not in _PRIORS:
        batches = labelled_batches(cfg, "train", baselines.TRAIN_EXAMPLES)
        train = [t for _, batch in batches for t in batch]
        _PRIORS[key] = baselines.box_prior_detections(
            np.concatenate([boxes for boxes, _ in train]),
            np.concatenate([labels for _, labels in train]),
            classes,
        )
    return _PRIORS[key]


def evaluate(model: keras.Model, cfg, split: str = "test") -> dict[str, Any]:
    """COCO box metrics (pycocotools) of the model and of the box-prior baseline on the
    test split (or ``novel``), per-class AP and inference images/s."""
    truth, found, seconds = [], [], 0.0
    for images, image_truth in labelled_batches(cfg, split):
        started = time.perf_counter()
        found += detect(model, cfg, images)
        seconds += time.perf_counter() - started
        truth += image_truth
    if not truth:
        raise UserError(f"the {split} split has no images; check data.source and data.test_images")
    names = data.class_names(cfg)
    size = (cfg.data.image_size, cfg.data.image_size)
    model_scores = coco_evaluate(truth, found, names, size)
    agnostic = coco_evaluate_any_class(truth, found, size)
    prior = box_prior(cfg, len(names))
    prior_scores = coco_evaluate(truth, [prior] * len(truth), names, size)
    return {
        "model": {k: model_scores[k] for k in METRICS},
        "baseline": {k: prior_scores[k] for k in METRICS},
        "baseline_name": "box_prior",
        "per_class_ap": model_scores["per_class_ap"],
        "class_agnostic": {k: agnostic[k] for k in METRICS},
        "images": len(truth),
        "objects": int(sum(len(labels) for _, labels in truth)),
        "images_per_second": round(len(truth) / max(seconds, 1e-9), 2),
    }


def bench(model: keras.Model, cfg, batches: int = 5) -> dict[str, Any]:
    """Scene rendering speed (one thread), training pipeline and step throughput, and
    inference images/s on test images."""
    rendered = {}
    if cfg.data.source in data.SCENE_SOURCES:
        rendered = scene_pipeline.render_speed(cfg.data.source, cfg.data.scene_seed, SCENES_TIMED)
    throughput = training_throughput(
        model, data.build_dataset(cfg, "train"), cfg.train.batch_size, 2, batches
    )
    images, _ = next(labelled_batches(cfg))
    return {**rendered, **throughput, **inference_rate(lambda x: detect(model, cfg, x), images)}
