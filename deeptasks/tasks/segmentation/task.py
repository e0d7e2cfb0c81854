"""The segmentation task: compile, mIoU against the all-background and colour baselines,
predict (colour-coded masks and overlays), samples, bench."""

from __future__ import annotations

import io
import time
import warnings
from pathlib import Path
from typing import Any

import keras
import numpy as np

from deeptasks.common.finetune import GroupRateSchedule, GroupScaledAdam
from deeptasks.common.io import atomic_write_bytes, read_image, refuse_overwrite, write_image
from deeptasks.common.losses import DiceCrossEntropy
from deeptasks.common.metrics.segmentation import ConfusionMatrix
from deeptasks.common.plots import side_by_side
from deeptasks.common.training import inference_rate, make_optimizer, training_throughput
from deeptasks.datasets import scene_pipeline
from deeptasks.errors import UserError
from deeptasks.tasks.base import Task
from deeptasks.tasks.segmentation import baselines, data
from deeptasks.tasks.segmentation.config import PRESETS
from deeptasks.tasks.segmentation.models import MODELS, backbone_variables

METRICS = ("miou", "pixel_accuracy", "foreground_iou")
EVAL_BATCH = 16
SAMPLE_IMAGES = 4
SCENES_TIMED = 200
OVERLAY_ALPHA = 0.5
# DeepLabV3+ on P4 leaves the encoder's last stage unused (no gradients), as intended.
warnings.filterwarnings("ignore", message=".*Gradients do not exist for variables.*stack3_")


def fine_tuning(cfg) -> bool:
    """A pretrained DeepLabV3+ encoder: head first, then the encoder at a lower rate."""
    return cfg.model.name == "deeplabv3plus" and bool(cfg.model.backbone_preset)


# train.loss: "default" is the cross-entropy; "dice_ce" adds the soft Dice loss.
LOSSES = ("default", "cross_entropy", "dice_ce")


def make_loss(name: str) -> keras.losses.Loss:
    if name not in LOSSES:
        raise UserError(f"train.loss must be one of {', '.join(LOSSES)}; got '{name}'")
    if name == "dice_ce":
        return DiceCrossEntropy(ignore_class=data.IGNORE)
    return keras.losses.SparseCategoricalCrossentropy(from_logits=True, ignore_class=data.IGNORE)


def check(cfg) -> None:
    """Refuse a bad config before any data is built."""
    data.check(cfg)
    make_loss(cfg.train.loss)


def compile_model(model: keras.Model, cfg) -> None:
    """Per-pixel cross-entropy on logits, optionally plus the soft Dice loss (ignored
    pixels, 255, count nowhere); Keras' MeanIoU (``miou``, from a confusion matrix over
    each epoch) and pixel accuracy."""
    loss = make_loss(cfg.train.loss)
    optimizer = make_optimizer(cfg.train, GroupScaledAdam)
    if fine_tuning(cfg):
        optimizer.set_group(backbone_variables(model))
    classes = model.output_shape[-1]
    model.compile(
        optimizer=optimizer,
        loss=loss,
        metrics=[
            keras.metrics.MeanIoU(
                classes, name="miou", ignore_class=data.IGNORE, sparse_y_pred=False
            ),
            keras.metrics.SparseCategoricalAccuracy(name="pixel_accuracy"),
        ],
        jit_compile=cfg.runtime.jit_compile,
    )


def callbacks(cfg) -> list[keras.callbacks.Callback]:
    if not fine_tuning(cfg):
        return []
    return [GroupRateSchedule(cfg.model.head_epochs, cfg.model.backbone_lr_scale)]


# --- prediction -----------------------------------------------------------------------


def segment(model: keras.Model, inputs: np.ndarray, sizes: list[tuple[int, int]]) -> list:
    """Class masks [H, W] (uint8) of normalised ``inputs`` [N, S, S, 3], each at its
    size in ``sizes``: logits are resized bilinearly to it, then the best class taken."""
    import tensorflow as tf

    logits = model.predict_on_batch(np.asarray(inputs, np.float32))
    masks = []
    for one, size in zip(np.asarray(logits), sizes):
        if tuple(size) != one.shape[:2]:
            one = tf.image.resize(one, size, method="bilinear").numpy()
        masks.append(np.argmax(one, axis=-1).astype(np.uint8))
    return masks


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


# --- evaluation -----------------------------------------------------------------------


def _test_batches(cfg, limit: int = 0):
    """``(inputs [N, S, S, 3], [uint8 image [H, W, 3]], [mask [H, W]])`` of the test split."""
    dataset = data.test_examples(cfg)
    batch: list = []
    for item in dataset.take(limit) if limit else dataset:
        batch.append([t.numpy() for t in item])
        if len(batch) == EVAL_BATCH:
            yield np.stack([b[0] for b in batch]), [b[1] for b in batch], [b[2] for b in batch]
            batch = []
    if batch:
        yield np.stack([b[0] for b in batch]), [b[1] for b in batch], [b[2] for b in batch]


def fit_colour_bayes(cfg, classes: int) -> baselines.ColourBayes:
    colour = baselines.ColourBayes(classes)
    for image, mask in data.examples(cfg, "train").take(baselines.TRAIN_EXAMPLES):
        colour.update(image.numpy(), mask.numpy())
    return colour


def evaluate(model: keras.Model, cfg) -> dict[str, Any]:
    """mIoU, pixel accuracy and per-class IoU, each from one confusion matrix over the
    whole test split (at every mask's own size), for the model, the all-background
    predictor and the colour-histogram classifier; inference images/s."""
    names = data.class_names(cfg)
    classes = len(names)
    colour = fit_colour_bayes(cfg, classes)
    matrices = {k: ConfusionMatrix(classes) for k in ("model", "all_background", "colour_bayes")}
    count, seconds = 0, 0.0
    for inputs, images, masks in _test_batches(cfg):
        started = time.perf_counter()
        found = segment(model, inputs, [m.shape for m in masks])
        seconds += time.perf_counter() - started
        for image, mask, predicted in zip(images, masks, found):
            matrices["model"].update(mask, predicted)
            matrices["all_background"].update(mask, np.zeros_like(mask))
            matrices["colour_bayes"].update(mask, colour.predict(image))
        count += len(masks)
    if not count:
        raise UserError("the test split has no images; check data.source and data.test_images")
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


def write_samples(model: keras.Model, cfg, samples_dir: Path) -> list[Path]:
    """Test images: image | true mask | predicted mask, masks drawn over the image."""
    inputs, images, masks = next(_test_batches(cfg, SAMPLE_IMAGES))
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


def describe_data(cfg) -> dict[str, Any]:
    data.check(cfg)
    info: dict[str, Any] = {"source": cfg.data.source, "classes": data.class_names(cfg)}
    if cfg.data.source in data.SCENE_SOURCES:
        d = cfg.data
        info.update(scene_pipeline.describe(d.source, d.scene_seed, d.val_images, d.test_images))
    else:
        info["corpus"] = cfg.data.source
        info["splits"] = {
            split: sum(1 for _ in data.examples(cfg, split)) for split in ("train", "val", "test")
        }
    info["image_size"] = cfg.data.image_size
    info["ignore_label"] = data.IGNORE
    return info


def bench(model: keras.Model, cfg, batches: int = 5) -> dict[str, Any]:
    """Scene rendering speed (one thread), training pipeline and step throughput, and
    inference images/s at the model's input size."""
    rendered = {}
    if cfg.data.source in data.SCENE_SOURCES:
        rendered = scene_pipeline.render_speed(cfg.data.source, cfg.data.scene_seed, SCENES_TIMED)
    if not model.compiled:  # a loaded keras-hub segmenter comes back uncompiled
        compile_model(model, cfg)
    throughput = training_throughput(
        model, data.build_dataset(cfg, "train"), cfg.train.batch_size, 2, batches
    )
    inputs, _, _ = next(_test_batches(cfg))
    return {**rendered, **throughput, **inference_rate(model.predict_on_batch, inputs)}


TASK = Task(
    name="segmentation",
    description="semantic segmentation (U-Net, FCN-8s, DeepLabV3+) on generated scenes; mIoU",
    presets=PRESETS,
    models=MODELS,
    build_dataset=data.build_dataset,
    compile_model=compile_model,
    evaluate=evaluate,
    predict=predict,
    write_samples=write_samples,
    describe_data=describe_data,
    bench=bench,
    monitor=("val_miou", "max"),
    check=check,
    callbacks=callbacks,
)
