"""The segmentation test protocol: mIoU, pixel accuracy and per-class IoU from one
confusion matrix over the test split, for the model, the all-background predictor and a
colour-histogram classifier, and the task's bench."""

from __future__ import annotations

import time
from typing import Any

import keras
import numpy as np

from deeptasks.common.metrics.segmentation import ConfusionMatrix
from deeptasks.common.throughput import inference_rate, training_throughput
from deeptasks.datasets import scene_pipeline
from deeptasks.errors import UserError
from deeptasks.tasks.segmentation import baselines, data, models
from deeptasks.tasks.segmentation.inference import segment

METRICS = ("miou", "pixel_accuracy", "foreground_iou")
EVAL_BATCH = 16
SCENES_TIMED = 200


def test_batches(cfg, limit: int = 0, split: str = "test"):
    """``(inputs [N, S, S, 3], [uint8 image [H, W, 3]], [mask [H, W]])`` of a test split."""
    dataset = data.test_examples(cfg, split)
    batch: list = []
    for item in dataset.take(limit) if limit else dataset:
        batch.append([t.numpy() for t in item])
        if len(batch) == EVAL_BATCH:
            yield np.stack([b[0] for b in batch]), [b[1] for b in batch], [b[2] for b in batch]
            batch = []
    if batch:
        yield np.stack([b[0] for b in batch]), [b[1] for b in batch], [b[2] for b in batch]


_FITTED: dict[str, baselines.ColourBayes] = {}  # data config -> fitted once, not per split


def fit_colour_bayes(cfg, classes: int) -> baselines.ColourBayes:
    key = repr(cfg.data)
    if key not in _FITTED:
        colour = baselines.ColourBayes(classes)
        for image, mask in data.examples(cfg, "train").take(baselines.TRAIN_EXAMPLES):
            colour.update(image.numpy(), mask.numpy())
        _FITTED[key] = colour
    return _FITTED[key]


def evaluate(model: keras.Model, cfg, split: str = "test") -> dict[str, Any]:
    """mIoU, pixel accuracy and per-class IoU, each from one confusion matrix over the
    whole test split (or ``novel``; at every mask's own size), for the model, the
    all-background predictor and the colour-histogram classifier; inference images/s."""
    names = data.class_names(cfg)
    classes = len(names)
    colour = fit_colour_bayes(cfg, classes)
    matrices = {k: ConfusionMatrix(classes) for k in ("model", "all_background", "colour_bayes")}
    count, seconds = 0, 0.0
    for inputs, images, masks in test_batches(cfg, split=split):
        started = time.perf_counter()
        found = segment(model, inputs, [m.shape for m in masks])
        seconds += time.perf_counter() - started
        for image, mask, predicted in zip(images, masks, found):
            matrices["model"].update(mask, predicted)
            matrices["all_background"].update(mask, np.zeros_like(mask))
            matrices["colour_bayes"].update(mask, colour.predict(image))
        count += len(masks)
    if not count:
        raise UserError(f"the {split} split has no images; check data.source and data.test_images")
    scores = {name: matrix.scores(names) for name, matrix in matrices.items()}
    return {
        "model": {k: scores["model"][k] for k in METRICS},
        "baseline": {k: scores["all_background"][k] for k in METRICS},
        "baseline_name": "all_background",
        "baselines": {
            name: {k: scores[name][k] for k in METRICS}
            for name in ("all_background", "colour_bayes")
        },
        "per_class_iou": scores["model"]["per_class_iou"],
        "per_class_iou_colour_bayes": scores["colour_bayes"]["per_class_iou"],
        "images": count,
        "images_per_second": round(count / max(seconds, 1e-9), 2),
    }


def bench(model: keras.Model, cfg, batches: int = 5) -> dict[str, Any]:
    """Scene rendering speed (one thread), training pipeline and step throughput, and
    inference images/s at the model's input size."""
    rendered = {}
    if cfg.data.source in data.SCENE_SOURCES:
        rendered = scene_pipeline.render_speed(cfg.data.source, cfg.data.scene_seed, SCENES_TIMED)
    if not model.compiled:  # a loaded keras-hub segmenter comes back uncompiled
        models.compile_model(model, cfg)
    throughput = training_throughput(
        model, data.build_dataset(cfg, "train"), cfg.train.batch_size, 2, batches
    )
    inputs, _, _ = next(test_batches(cfg))
    return {**rendered, **throughput, **inference_rate(model.predict_on_batch, inputs)}
