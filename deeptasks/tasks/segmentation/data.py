"""Segmentation datasets: images with per-pixel class masks.

Every source first gives examples ``(image uint8 [H, W, 3], mask uint8 [H, W])`` where
the mask holds class indices, 0 = background, and :data:`IGNORE` (255) for pixels that
count nowhere (VOC's object borders, the pets' trimap border). They are then paired with
the model's input and target:

* training: a random square crop (side ``data.crop_scale`` x the shorter side), resized
  to ``data.image_size`` (image bilinear, mask nearest neighbour) and a random
  left-right flip; one geometric transform for image and mask (:func:`augment`);
* validation and test: the whole image resized to ``data.image_size`` (mask nearest).
  :func:`test_examples` keeps each test mask at its own size, where the metrics are taken.

Images are ImageNet-normalised (what keras-hub encoders expect). Training scenes are
drawn fresh for every step; validation and test scenes are fixed by ``data.scene_seed``.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np
import tensorflow as tf

from deeptasks.common.io import IMAGE_SUFFIXES
from deeptasks.datasets import photos, scene_pipeline
from deeptasks.datasets.batching import evaluation_batches, input_pipeline, training_batches
from deeptasks.datasets.image_pipeline import element_seeds, imagenet_normalise
from deeptasks.datasets.scene_pipeline import SCENE_SOURCES
from deeptasks.errors import UserError
from deeptasks.tasks.segmentation.config import IGNORE_LABEL

AUTOTUNE = tf.data.AUTOTUNE
IGNORE = IGNORE_LABEL
PET_NAME = "oxford_iiit_pet"
# tfds' trimap: 1 pet, 2 background, 3 border (unsure) -> ours
PET_CLASSES = ["background", "pet"]
PET_TRIMAP = np.array([IGNORE, 1, 0, IGNORE], np.uint8)
PET_SPLITS = {"train": "train[:90%]", "val": "train[90%:]", "test": "test"}
VOC_CLASSES = [
    "background", "aeroplane", "bicycle", "bird", "boat", "bottle", "bus", "car", "cat",
    "chair", "cow", "diningtable", "dog", "horse", "motorbike", "person", "pottedplant",
    "sheep", "sofa", "train", "tvmonitor",
]  # fmt: skip


def check(cfg) -> None:
    data = cfg.data
    if data.source == "folder" and not (data.image_dir and data.mask_dir):
        raise UserError("data.source=folder needs data.image_dir=FOLDER and data.mask_dir=FOLDER")
    if data.source == "voc" and not data.voc_dir:
        raise UserError("data.source=voc needs data.voc_dir=FOLDER (VOCdevkit/VOC2012)")
    if data.image_size < 32 or data.image_size % 32:
        raise UserError(f"data.image_size must be a multiple of 32 (>= 32); got {data.image_size}")
    scale = tuple(data.crop_scale)
    if len(scale) != 2 or not 0 < scale[0] <= scale[1] <= 1:
        raise UserError(
            "data.crop_scale must be two numbers 0 < low <= high <= 1; "
            f"got {','.join(map(str, scale))}"
        )


def normalise(images) -> tf.Tensor:
    return imagenet_normalise(images)


# --- sources --------------------------------------------------------------------------


def _read_mask(path: Path) -> np.ndarray:
    """A PNG of class indices (grey or palette: the indices, not the colours)."""
    from PIL import Image, UnidentifiedImageError

    try:
        with Image.open(path) as image:
            if image.mode not in ("L", "P", "1", "I", "I;16"):
                raise UserError(
                    f"{path}: a mask must be a grey or palette PNG of class indices, "
                    f"not mode {image.mode}"
                )
            return np.asarray(image).astype(np.uint8)
    except (UnidentifiedImageError, OSError) as err:
        raise UserError(f"{path} is not a readable mask image ({err})") from None


@lru_cache(maxsize=4)
def _folder_pairs(image_dir: str, mask_dir: str) -> tuple[list[tuple[str, str]], int]:
    """``([(image, mask)] by sorted name, classes seen)`` of a user's folders; each image
    needs ``<mask_dir>/<same stem>.png`` of the same size."""
    from PIL import Image

    images_root, masks_root = Path(image_dir), Path(mask_dir)
    for folder, key in ((images_root, "image_dir"), (masks_root, "mask_dir")):
        if not folder.is_dir():
            raise UserError(f"folder not found: {folder}; set data.{key} to a folder")
    images = sorted(p for p in images_root.iterdir() if p.suffix.lower() in IMAGE_SUFFIXES)
    if len(images) < 3:
        raise UserError(f"{images_root} has {len(images)} images; a split needs at least 3")
    missing = [p.name for p in images if not (masks_root / f"{p.stem}.png").is_file()]
    if missing:
        raise UserError(
            f"{len(missing)} images of {images_root} have no mask {masks_root}/<name>.png, "
            f"e.g. {missing[0]}"
        )
    top = 0
    for path in images:
        mask = _read_mask(masks_root / f"{path.stem}.png")
        with Image.open(path) as image:
            size = image.size[::-1]
        if mask.shape[:2] != size:
            raise UserError(
                f"mask {masks_root / (path.stem + '.png')} is {mask.shape[1]}x{mask.shape[0]} "
                f"but its image {path.name} is {size[1]}x{size[0]}; they must match"
            )
        top = max(top, int(mask[mask != IGNORE].max(initial=0)))
    return [(str(p), str(masks_root / f"{p.stem}.png")) for p in images], top + 1


def _voc_pairs(voc_dir: str, split: str) -> list[tuple[str, str]]:
    """VOC2012's segmentation lists: its ``val`` is our test split; every 10th image of
    its ``train`` list is our validation."""
    root = Path(voc_dir)
    listed = root / "ImageSets" / "Segmentation" / ("val.txt" if split == "test" else "train.txt")
    if not listed.is_file():
        raise UserError(f"{listed} not found; set data.voc_dir to the VOCdevkit/VOC2012 folder")
    names = listed.read_text().split()
    if split != "test":
        names = [n for i, n in enumerate(names) if (i % 10 == 9) == (split == "val")]
    return [
        (str(root / "JPEGImages" / f"{n}.jpg"), str(root / "SegmentationClass" / f"{n}.png"))
        for n in names
    ]


def class_names(cfg) -> list[str]:
    """Class names, background first (index 0)."""
    source = cfg.data.source
    if source in SCENE_SOURCES:
        return ["background", *scene_pipeline.class_names(source)]
    if source == "voc":
        return list(VOC_CLASSES)
    if source == PET_NAME:
        return list(PET_CLASSES)
    _, seen = _folder_pairs(cfg.data.image_dir, cfg.data.mask_dir)
    names = list(cfg.data.class_names)
    if names and len(names) < seen:
        raise UserError(
            f"the masks hold class indices up to {seen - 1} but data.class_names names {len(names)}"
        )
    return names or ["background", *(f"class{k}" for k in range(1, max(seen, 2)))]


def _file_examples(pairs: list[tuple[str, str]]) -> tf.data.Dataset:
    def load(image_path, mask_path):
        image = tf.io.decode_image(tf.io.read_file(image_path), channels=3, expand_animations=False)
        mask = tf.numpy_function(lambda p: _read_mask(Path(p.decode())), [mask_path], tf.uint8)
        return image, tf.ensure_shape(mask, [None, None])

    images, masks = zip(*pairs)
    return tf.data.Dataset.from_tensor_slices((list(images), list(masks))).map(
        load, num_parallel_calls=AUTOTUNE
    )


def _pet_examples(cfg, split: str) -> tf.data.Dataset:
    import tensorflow_datasets as tfds

    try:
        builder = tfds.builder(PET_NAME, data_dir=cfg.data.tfds_data_dir or None)
        dataset = builder.as_dataset(split=PET_SPLITS[split], shuffle_files=False)
    except Exception as err:  # tfds raises many types for "not downloaded / offline"
        raise UserError(
            f"{PET_NAME} is not prepared ({type(err).__name__}); run "
            f"tfds.builder('{PET_NAME}').download_and_prepare() with internet, "
            "or set data.tfds_data_dir to a prepared copy"
        ) from None
    trimap = tf.constant(PET_TRIMAP)

    def element(example):
        mask = tf.gather(trimap, tf.cast(example["segmentation_mask"][..., 0], tf.int32))
        return example["image"], mask

    return dataset.map(element, num_parallel_calls=AUTOTUNE)


def examples(cfg, split: str, endless: bool = False, pipelines: int = 1, pipeline_id: int = 0):
    """``(image uint8 [H, W, 3], mask uint8 [H, W])`` examples of one split; ``endless``
    for training (fresh scenes for ever, or the user's images repeated)."""
    check(cfg)
    source = cfg.data.source
    scene_pipeline.check_split(source, split)
    limit = {"train": 0, "val": cfg.data.val_images}.get(split, cfg.data.test_images)
    if source in SCENE_SOURCES:
        indices = scene_pipeline.scene_indices(limit, endless, pipelines, pipeline_id)
        return scene_pipeline.scene_examples(
            source, split, cfg.data.scene_seed, indices, ("image", "semantic")
        )
    if source == "folder":
        pairs, _ = _folder_pairs(cfg.data.image_dir, cfg.data.mask_dir)
        dataset = _file_examples(photos.split_by_position(pairs)[split])
    elif source == "voc":
        dataset = _file_examples(_voc_pairs(cfg.data.voc_dir, split))
    else:
        dataset = _pet_examples(cfg, split)
    if limit and not endless:
        dataset = dataset.take(limit)
    if pipelines > 1:
        dataset = dataset.shard(pipelines, pipeline_id)
    return dataset.repeat() if endless else dataset


# --- to model input -------------------------------------------------------------------


def resize_pair(image, mask, size: int):
    """Image (bilinear, antialiased) and mask (nearest neighbour) resized to ``size``."""
    image = tf.image.resize(image, [size, size], antialias=True)
    mask = tf.image.resize(mask[..., None], [size, size], method="nearest")[..., 0]
    return image, tf.cast(mask, tf.uint8)


def augment(image, mask, seed, size: int, crop_scale=(0.6, 1.0), flip: bool = True):
    """One random geometric transform applied to image and mask alike: a square crop of
    side ``crop_scale`` x the shorter side at a random place, resized to ``size`` (mask:
    nearest neighbour), then a left-right flip with probability 0.5 when ``flip``.
    Stateless: the same ``seed`` [2] gives the same transform."""
    shape = tf.shape(mask)
    short = tf.cast(tf.minimum(shape[0], shape[1]), tf.float32)
    draws = tf.random.stateless_uniform([4], seed)
    side = tf.cast(short * (crop_scale[0] + (crop_scale[1] - crop_scale[0]) * draws[0]), tf.int32)
    side = tf.maximum(side, 1)
    top = tf.cast(draws[1] * tf.cast(shape[0] - side + 1, tf.float32), tf.int32)
    left = tf.cast(draws[2] * tf.cast(shape[1] - side + 1, tf.float32), tf.int32)
    image, mask = resize_pair(
        image[top : top + side, left : left + side],
        mask[top : top + side, left : left + side],
        size,
    )
    if flip:
        mirror = draws[3] < 0.5
        image = tf.where(mirror, image[:, ::-1], image)
        mask = tf.where(mirror, mask[:, ::-1], mask)
    return image, mask


def _to_model(image, mask):
    return normalise(image), tf.cast(mask, tf.int32)


def build_dataset(cfg, split: str, input_context: tf.distribute.InputContext | None = None):
    """``tf.data.Dataset`` of ``(normalised image [S, S, 3], int32 mask [S, S])`` batches."""
    scene_pipeline.check_split(cfg.data.source, split)
    batch, pipelines, pipeline_id = input_pipeline(cfg.train.batch_size, input_context)
    size, data = cfg.data.image_size, cfg.data
    if split == "train":
        raw = examples(cfg, split, endless=True, pipelines=pipelines, pipeline_id=pipeline_id)
        seeded = element_seeds(raw, cfg.train.seed + 1000 * pipeline_id)
        pairs = seeded.map(
            lambda pair, seed: _to_model(
                *augment(*pair, seed, size, tuple(data.crop_scale), data.flip)
            ),
            num_parallel_calls=AUTOTUNE,
        )
        if data.source in SCENE_SOURCES:  # fresh scenes: nothing to shuffle
            return pairs.batch(batch, drop_remainder=True).prefetch(AUTOTUNE)
        return training_batches(pairs, data.shuffle_buffer, batch, cfg.train.seed + pipeline_id)
    pairs = examples(cfg, split).map(
        lambda image, mask: _to_model(*resize_pair(image, mask, size)), num_parallel_calls=AUTOTUNE
    )
    if split == "val":
        return evaluation_batches(pairs, batch, input_context).cache().prefetch(AUTOTUNE)
    pairs = pairs.shard(pipelines, pipeline_id) if pipelines > 1 else pairs
    return pairs.batch(batch).prefetch(AUTOTUNE)


def test_examples(cfg, split: str = "test") -> tf.data.Dataset:
    """``(normalised image [S, S, 3], uint8 image [H, W, 3], mask uint8 [H, W])`` of a
    test split in order: the model's input, and the picture and truth at their own size."""
    size = cfg.data.image_size
    return examples(cfg, split).map(
        lambda image, mask: (normalise(resize_pair(image, mask, size)[0]), image, mask),
        num_parallel_calls=AUTOTUNE,
    )


def facts(cfg) -> dict:
    """What the models are built from besides their own config: the number of classes
    (background included) and the square input side."""
    return {"num_classes": len(class_names(cfg)), "image_size": cfg.data.image_size}


def describe_data(cfg) -> dict[str, Any]:
    check(cfg)
    info: dict[str, Any] = {"source": cfg.data.source, "classes": class_names(cfg)}
    if cfg.data.source in SCENE_SOURCES:
        d = cfg.data
        info.update(scene_pipeline.describe(d.source, d.scene_seed, d.val_images, d.test_images))
    else:
        info["corpus"] = cfg.data.source
        info["splits"] = {
            split: sum(1 for _ in examples(cfg, split)) for split in ("train", "val", "test")
        }
    info["image_size"] = cfg.data.image_size
    info["ignore_label"] = IGNORE
    return info
