"""The detection task: compile, COCO evaluation against box priors, predict, samples, bench."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import keras
import numpy as np

from deeptasks.common.finetune import GroupRateSchedule, GroupScaledAdam
from deeptasks.common.io import read_image, refuse_overwrite, write_image, write_json
from deeptasks.common.losses import YoloGridLoss
from deeptasks.common.metrics.detection import (
    coco_evaluate,
    coco_evaluate_any_class,
    to_coco_results,
)
from deeptasks.common.plots import side_by_side
from deeptasks.common.training import inference_rate, make_optimizer, training_throughput
from deeptasks.datasets import scene_pipeline
from deeptasks.errors import UserError
from deeptasks.tasks.base import Task
from deeptasks.tasks.detection import baselines, data
from deeptasks.tasks.detection.config import PRESETS
from deeptasks.tasks.detection.models import MODELS, backbone_variables, detect

METRICS = ("map_50_95", "map_50", "map_75", "recall")
EVAL_BATCH = 16
SAMPLE_IMAGES = 4
SCENES_TIMED = 200
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


def fine_tuning(cfg) -> bool:
    """A pretrained RetinaNet backbone: head first, then the backbone at a lower rate."""
    return cfg.model.name == "retinanet" and bool(cfg.model.backbone_preset)


def compile_model(model: keras.Model, cfg) -> None:
    optimizer = make_optimizer(cfg.train, GroupScaledAdam)
    if fine_tuning(cfg):
        optimizer.set_group(backbone_variables(model))
    if cfg.model.name == "yolo":
        loss = YoloGridLoss(
            cfg.model.boxes_per_cell, cfg.model.coord_weight, cfg.model.noobj_weight
        )
        model.compile(optimizer=optimizer, loss=loss, jit_compile=cfg.runtime.jit_compile)
    else:  # keras-hub's RetinaNet: smooth-L1 box loss and focal classification loss
        model.compile(optimizer=optimizer, jit_compile=cfg.runtime.jit_compile)


def callbacks(cfg) -> list[keras.callbacks.Callback]:
    if not fine_tuning(cfg):
        return []
    return [GroupRateSchedule(cfg.model.head_epochs, cfg.model.backbone_lr_scale)]


def labelled_batches(cfg, split: str = "test", limit: int = 0):
    """``(images, [(boxes, labels)])`` batches of a letterboxed split (padding removed)."""
    dataset = data.letterboxed(cfg, split)
    for images, boxes, labels in (dataset.take(limit) if limit else dataset).batch(EVAL_BATCH):
        boxes, labels = boxes.numpy(), labels.numpy()
        yield images.numpy(), [(b[lab >= 0], lab[lab >= 0]) for b, lab in zip(boxes, labels)]


def evaluate(model: keras.Model, cfg) -> dict[str, Any]:
    """COCO box metrics (pycocotools) of the model and of the box-prior baseline on the
    test split, per-class AP and inference images/s."""
    truth, found, seconds = [], [], 0.0
    for images, image_truth in labelled_batches(cfg):
        started = time.perf_counter()
        found += detect(model, cfg, images)
        seconds += time.perf_counter() - started
        truth += image_truth
    if not truth:
        raise UserError("the test split has no images; check data.source and data.test_images")
    names = data.class_names(cfg)
    size = (cfg.data.image_size, cfg.data.image_size)
    model_scores = coco_evaluate(truth, found, names, size)
    agnostic = coco_evaluate_any_class(truth, found, size)
    train = [
        t for _, batch in labelled_batches(cfg, "train", baselines.TRAIN_EXAMPLES) for t in batch
    ]
    prior = baselines.box_prior_detections(
        np.concatenate([boxes for boxes, _ in train]),
        np.concatenate([labels for _, labels in train]),
        len(names),
    )
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


def describe_data(cfg) -> dict[str, Any]:
    data.check(cfg)
    info: dict[str, Any] = {"source": cfg.data.source, "classes": data.class_names(cfg)}
    if cfg.data.source in data.SCENE_SOURCES:
        d = cfg.data
        info.update(scene_pipeline.describe(d.source, d.scene_seed, d.val_images, d.test_images))
    else:
        info["corpus"] = cfg.data.source
    info["image_size"] = cfg.data.image_size
    return info


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


TASK = Task(
    name="detection",
    description="object detection (RetinaNet, YOLO grid) on generated scenes; COCO mAP",
    presets=PRESETS,
    models=MODELS,
    build_dataset=data.build_dataset,
    compile_model=compile_model,
    evaluate=evaluate,
    predict=predict,
    write_samples=write_samples,
    describe_data=describe_data,
    bench=bench,
    monitor=("val_loss", "min"),
    check=data.check,
    predict_options=("score_threshold",),
    callbacks=callbacks,
)
