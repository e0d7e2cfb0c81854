"""Detection datasets: images with boxes from the scenes corpus, a COCO folder or tfds.

Every source first gives examples ``(image uint8 [H, W, 3], boxes [n, 4], labels [n])``
with corner boxes ``(y0, x0, y1, x1)`` in pixels; they are then letterboxed to the model's
square input (aspect kept, padded at the bottom and right), normalised, and paired with
the model's target:

each model's own target (its ``ModelSpec.encode_targets``: RetinaNet's padded boxes and
labels, YOLO's ``[S, S, 5 + C]`` grid).

Training scenes are drawn fresh for every step; validation and test scenes are fixed by
``data.scene_seed``.
"""

from __future__ import annotations

import json
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np
import tensorflow as tf

from deeptasks.datasets import photos, scene_pipeline
from deeptasks.datasets.batching import evaluation_batches, input_pipeline, training_batches
from deeptasks.datasets.image_pipeline import IMAGENET_MEAN, IMAGENET_STD, imagenet_normalise
from deeptasks.datasets.scene_pipeline import SCENE_SOURCES
from deeptasks.errors import UserError
from deeptasks.tasks.base import model_spec

AUTOTUNE = tf.data.AUTOTUNE
TFDS_NAMES = {"voc": "voc/2007", "coco2017": "coco/2017"}
TFDS_SPLITS = {
    "voc": {"train": "train", "val": "validation", "test": "test"},
    "coco2017": {"train": "train", "val": "validation[:50%]", "test": "validation[50%:]"},
}

MEAN = np.array(IMAGENET_MEAN, np.float32)
STD = np.array(IMAGENET_STD, np.float32)
normalise = imagenet_normalise  # uint8 (or 0-255 float) images -> the model's input scale


def check(cfg) -> None:
    data = cfg.data
    if data.source == "coco" and not (data.coco_json and data.image_dir):
        raise UserError("data.source=coco needs data.coco_json=FILE and data.image_dir=FOLDER")
    if data.image_size < 32 or data.image_size % 32:
        raise UserError(f"data.image_size must be a multiple of 32 (>= 32); got {data.image_size}")
    if data.max_boxes < 1:
        raise UserError(f"data.max_boxes must be >= 1; got {data.max_boxes}")


# --- sources --------------------------------------------------------------------------


@lru_cache(maxsize=4)
def _coco_file(path: str, image_dir: str) -> tuple[list[str], list[dict]]:
    """``(class names, [{"file", "boxes", "labels"}])`` of a COCO-format annotation file."""
    try:
        coco = json.loads(Path(path).read_text())
        categories = sorted(coco["categories"], key=lambda c: c["id"])
        index = {c["id"]: i for i, c in enumerate(categories)}
        records = {
            image["id"]: {
                "file": str(Path(image_dir) / image["file_name"]),
                "boxes": [],
                "labels": [],
            }
            for image in coco["images"]
        }
        for note in coco["annotations"]:
            if note.get("iscrowd"):
                continue
            x, y, w, h = note["bbox"]
            records[note["image_id"]]["boxes"].append([y, x, y + h, x + w])
            records[note["image_id"]]["labels"].append(index[note["category_id"]])
    except FileNotFoundError:
        raise UserError(f"COCO annotation file not found: {path}") from None
    except (OSError, ValueError, KeyError, TypeError) as err:
        raise UserError(
            f"{path} is not a COCO detection file ({type(err).__name__}: {err})"
        ) from None
    if not records:
        raise UserError(f"{path} lists no images")
    missing = [r["file"] for r in records.values() if not Path(r["file"]).is_file()]
    if missing:
        raise UserError(
            f"{len(missing)} images of {path} are missing, e.g. {missing[0]}; check data.image_dir"
        )
    return [c["name"] for c in categories], [records[k] for k in sorted(records)]


def _coco_split(cfg, split: str) -> list[dict]:
    """A user's COCO images by sorted image id, split as user image folders are."""
    _, records = _coco_file(cfg.data.coco_json, cfg.data.image_dir)
    return photos.split_by_position(records)[split]


def class_names(cfg) -> list[str]:
    source = cfg.data.source
    if source in SCENE_SOURCES:
        return scene_pipeline.class_names(source)
    if source == "coco":
        return _coco_file(cfg.data.coco_json, cfg.data.image_dir)[0]
    return _tfds_builder(cfg).info.features["objects"]["label"].names


def _tfds_builder(cfg):
    import tensorflow_datasets as tfds

    try:
        return tfds.builder(TFDS_NAMES[cfg.data.source], data_dir=cfg.data.tfds_data_dir or None)
    except Exception as err:  # tfds raises many types for "not downloaded / offline"
        raise UserError(
            f"{TFDS_NAMES[cfg.data.source]} is not available through tfds ({type(err).__name__}); "
            "it needs internet the first time, or set data.tfds_data_dir to a prepared copy"
        ) from None


def _file_examples(records: list[dict]) -> tf.data.Dataset:
    def load(path, boxes, labels):
        image = tf.image.decode_image(tf.io.read_file(path), channels=3, expand_animations=False)
        return image, boxes, labels

    dataset = tf.data.Dataset.from_generator(
        lambda: (
            (
                r["file"],
                np.asarray(r["boxes"], np.float32).reshape(-1, 4),
                np.asarray(r["labels"], np.int32),
            )
            for r in records
        ),
        output_signature=(
            tf.TensorSpec([], tf.string),
            tf.TensorSpec([None, 4], tf.float32),
            tf.TensorSpec([None], tf.int32),
        ),
    )
    return dataset.map(load, num_parallel_calls=AUTOTUNE)


def _tfds_examples(cfg, split: str) -> tf.data.Dataset:
    builder = _tfds_builder(cfg)
    try:
        dataset = builder.as_dataset(split=TFDS_SPLITS[cfg.data.source][split], shuffle_files=False)
    except Exception as err:
        raise UserError(
            f"{TFDS_NAMES[cfg.data.source]} is not prepared ({type(err).__name__}); run "
            "tfds.builder(...).download_and_prepare() with internet, or set data.tfds_data_dir"
        ) from None

    def element(example):
        image = example["image"]
        size = tf.cast(tf.shape(image)[:2], tf.float32)
        boxes = example["objects"]["bbox"] * tf.concat([size, size], 0)
        return image, boxes, tf.cast(example["objects"]["label"], tf.int32)

    return dataset.map(element, num_parallel_calls=AUTOTUNE)


def examples(cfg, split: str, endless: bool = False, pipelines: int = 1, pipeline_id: int = 0):
    """``(image uint8, boxes, labels)`` examples of one split; ``endless`` for training
    (fresh scenes for ever, or the user's images repeated)."""
    check(cfg)
    source = cfg.data.source
    scene_pipeline.check_split(source, split)
    limit = {"train": 0, "val": cfg.data.val_images}.get(split, cfg.data.test_images)
    if source in SCENE_SOURCES:
        indices = scene_pipeline.scene_indices(limit, endless, pipelines, pipeline_id)
        return scene_pipeline.scene_examples(source, split, cfg.data.scene_seed, indices)
    if cfg.data.source == "coco":
        dataset = _file_examples(_coco_split(cfg, split))
    else:
        dataset = _tfds_examples(cfg, split)
    if limit and not endless:
        dataset = dataset.take(limit)
    if pipelines > 1:
        dataset = dataset.shard(pipelines, pipeline_id)
    return dataset.repeat() if endless else dataset


# --- to model input -------------------------------------------------------------------


def letterbox(image, boxes, labels, size: int, max_boxes: int):
    """Fit the image into ``size`` x ``size`` (aspect kept, padded at bottom/right), scale
    its boxes, and pad boxes and labels to ``max_boxes`` with -1."""
    shape = tf.cast(tf.shape(image)[:2], tf.float32)
    scale = tf.reduce_min(size / shape)
    new = tf.cast(tf.round(shape * scale), tf.int32)
    resized = tf.image.resize(image, new, antialias=True)
    padded = tf.image.pad_to_bounding_box(resized, 0, 0, size, size)
    boxes = boxes[:max_boxes] * scale
    labels = labels[:max_boxes]
    count = tf.shape(boxes)[0]
    boxes = tf.pad(boxes, [[0, max_boxes - count], [0, 0]], constant_values=-1.0)
    labels = tf.pad(labels, [[0, max_boxes - count]], constant_values=-1)
    boxes.set_shape([max_boxes, 4])
    labels.set_shape([max_boxes])
    return normalise(padded), boxes, labels


def facts(cfg) -> dict:
    """What the models are built from besides their own config: the number of classes
    and the square input side."""
    return {"num_classes": len(class_names(cfg)), "image_size": cfg.data.image_size}


def model_targets(cfg):
    """``(image, boxes, labels) -> (image, target)`` with the configured model's own
    target encoding (:attr:`ModelSpec.encode_targets`)."""
    encode = model_spec(cfg).encode_targets(cfg.model, **facts(cfg))

    def pair(image, boxes, labels):
        return image, encode(boxes, labels)

    return pair


def letterboxed(cfg, split: str, **options) -> tf.data.Dataset:
    """:func:`examples` letterboxed: ``(normalised image, boxes, labels)`` padded to
    ``data.max_boxes``; ``options`` go to :func:`examples`."""
    size, max_boxes = cfg.data.image_size, cfg.data.max_boxes
    return examples(cfg, split, **options).map(
        lambda image, boxes, labels: letterbox(image, boxes, labels, size, max_boxes),
        num_parallel_calls=AUTOTUNE,
    )


def build_dataset(cfg, split: str, input_context: tf.distribute.InputContext | None = None):
    """``tf.data.Dataset`` of ``(image, target)`` batches for one split."""
    scene_pipeline.check_split(cfg.data.source, split)
    batch, pipelines, pipeline_id = input_pipeline(cfg.train.batch_size, input_context)
    to_target = model_targets(cfg)
    if split == "train":
        raw = letterboxed(cfg, split, endless=True, pipelines=pipelines, pipeline_id=pipeline_id)
        pairs = raw.map(to_target, num_parallel_calls=AUTOTUNE)
        if cfg.data.source in SCENE_SOURCES:  # fresh scenes: nothing to shuffle
            return pairs.batch(batch, drop_remainder=True).prefetch(AUTOTUNE)
        return training_batches(pairs, 256, batch, cfg.train.seed + pipeline_id)
    pairs = letterboxed(cfg, split).map(to_target, num_parallel_calls=AUTOTUNE)
    if split == "val":
        return evaluation_batches(pairs, batch, input_context).cache().prefetch(AUTOTUNE)
    pairs = pairs.shard(pipelines, pipeline_id) if pipelines > 1 else pairs
    return pairs.batch(batch).prefetch(AUTOTUNE)


def test_examples(cfg, split: str = "test") -> tf.data.Dataset:
    """Letterboxed examples ``(normalised image, boxes, labels)`` of a test split, in order."""
    return letterboxed(cfg, split)


def describe_data(cfg) -> dict[str, Any]:
    check(cfg)
    info: dict[str, Any] = {"source": cfg.data.source, "classes": class_names(cfg)}
    if cfg.data.source in SCENE_SOURCES:
        d = cfg.data
        info.update(scene_pipeline.describe(d.source, d.scene_seed, d.val_images, d.test_images))
    else:
        info["corpus"] = cfg.data.source
    info["image_size"] = cfg.data.image_size
    return info
