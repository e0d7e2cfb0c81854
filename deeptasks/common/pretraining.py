"""Pretraining an image encoder the vision tasks fine-tune: ``deeptasks pretrain``.

A keras-hub ResNet encoder learns to name the object in small crops of the scenes corpus
(one object of the training pictures pasted on a training background, or background
alone) and is saved with keras-hub's ``save_to_preset`` to ``WORKDIR/preset/``. Detection
and segmentation then start from it with ``--set model.backbone_preset=WORKDIR/preset``,
the workflow a user with internet follows with a keras-hub ImageNet preset, here offline
with weights the toolkit made.

Crops are scored (top-1 accuracy) on the scenes corpus's protocols: ``val`` and ``test``
show training pictures on held-out backgrounds, ``novel`` unseen pictures.
"""

from __future__ import annotations

import shutil
import tempfile
import time
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np

from deeptasks.common import io
from deeptasks.errors import UserError

EVAL_SPLITS = ("val", "test", "novel")


@dataclass
class PretrainConfig:
    objects: str = "auto"  # the scenes corpus's objects: auto | stamps | shapes
    backbone: str = "resnet_tiny"  # a named encoder (deeptasks.common.backbones.ENCODERS)
    crop_size: int = 64  # crops are this many pixels square
    steps: int = 1500
    batch_size: int = 64
    learning_rate: float = 2e-3  # Adam, cosine-decayed to 0 over the steps
    eval_crops: int = 700  # fixed crops scored per split
    seed: int = 0


PRESETS = {
    "smoke": lambda: PretrainConfig(
        objects="shapes", crop_size=32, steps=4, batch_size=8, eval_crops=16
    ),
    "default": PretrainConfig,
}


def crop_dataset(cfg: PretrainConfig, split: str, count: int = 0):
    """``(normalised crops [B, S, S, 3], labels [B])`` batches of ``split``: ``count``
    fixed crops, or endless fresh ones (``count`` 0, for training)."""
    import tensorflow as tf

    from deeptasks.datasets import scene_pipeline, scenes
    from deeptasks.datasets.image_pipeline import imagenet_normalise

    source = scenes.scene_source(cfg.objects, split, cfg.seed)
    size = cfg.crop_size

    def render(index):
        image, label = source.crop(int(index), size)
        return image, np.int32(label)

    def element(index):
        image, label = tf.numpy_function(render, [index], [tf.uint8, tf.int32], stateful=False)
        return imagenet_normalise(tf.ensure_shape(image, [size, size, 3])), tf.reshape(label, [])

    indices = scene_pipeline.scene_indices(count, endless=not count)
    examples = indices.map(element, num_parallel_calls=tf.data.AUTOTUNE)
    return examples.batch(cfg.batch_size).prefetch(tf.data.AUTOTUNE)


def build_classifier(cfg: PretrainConfig, classes: int):
    """``(classifier, encoder)``: the named encoder (any input size), global average
    pooling and a linear layer over ``classes`` (background first)."""
    import keras

    from deeptasks.common import backbones

    encoder = backbones.image_encoder(cfg.backbone, "", 0)
    inputs = keras.Input((cfg.crop_size, cfg.crop_size, 3), name="crops")
    features = keras.layers.GlobalAveragePooling2D(name="pool")(encoder(inputs))
    logits = keras.layers.Dense(classes, name="classes", dtype="float32")(features)
    return keras.Model(inputs, logits, name="crop_classifier"), encoder


def pretrain(cfg: PretrainConfig, workdir: Path, force: bool = False) -> dict:
    """Train the crop classifier, save its encoder to ``workdir/preset`` and the run's
    facts and accuracies to ``workdir/metrics.json``; returns those metrics."""
    import keras

    from deeptasks.common import backbones
    from deeptasks.datasets import scenes

    workdir = Path(workdir)
    preset_dir = workdir / "preset"
    if preset_dir.exists() and not force:
        raise UserError(
            f"{preset_dir} exists; pass --force to overwrite it or choose another --workdir"
        )
    if cfg.steps < 1 or cfg.batch_size < 1 or cfg.crop_size < 32:
        raise UserError("pretrain needs steps >= 1, batch size >= 1 and a crop size >= 32")
    if cfg.backbone not in backbones.ENCODERS:
        raise UserError(
            f"unknown backbone '{cfg.backbone}'; valid: {', '.join(backbones.ENCODERS)}"
        )
    class_names = ["background", *scenes.corpus_info(cfg.objects)["classes"]]
    keras.utils.set_random_seed(cfg.seed)
    classifier, encoder = build_classifier(cfg, len(class_names))
    epochs = max(1, min(10, cfg.steps // 50))  # a progress line per epoch
    per_epoch = cfg.steps // epochs
    steps = epochs * per_epoch
    schedule = keras.optimizers.schedules.CosineDecay(cfg.learning_rate, steps)
    classifier.compile(
        optimizer=keras.optimizers.Adam(schedule),
        loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
        metrics=["accuracy"],
    )
    print(
        f"pretraining {cfg.backbone} on {cfg.crop_size} px crops of {cfg.objects} scenes "
        f"({len(class_names)} classes with background): {steps} steps of {cfg.batch_size}",
        flush=True,
    )
    start = time.perf_counter()

    def progress(epoch, logs):
        print(
            f"  step {(epoch + 1) * per_epoch}/{steps}: loss {logs['loss']:.3f}, accuracy "
            f"{logs['accuracy']:.3f} ({time.perf_counter() - start:.0f} s)",
            flush=True,
        )

    classifier.fit(
        crop_dataset(cfg, "train"),
        epochs=epochs,
        steps_per_epoch=per_epoch,
        callbacks=[keras.callbacks.LambdaCallback(on_epoch_end=progress)],
        verbose=0,
    )
    seconds = time.perf_counter() - start
    _save_preset(encoder, preset_dir)
    scores = {}
    for split in EVAL_SPLITS:
        crops = crop_dataset(cfg, split, cfg.eval_crops)
        labels = np.concatenate([y.numpy() for _, y in crops])
        predicted = np.argmax(classifier.predict(crops, verbose=0), axis=-1)
        scores[split] = {
            "accuracy": float(np.mean(predicted == labels)),
            "majority_class": float(np.bincount(labels).max() / len(labels)),
            "crops": int(len(labels)),
        }
    metrics = {
        "config": asdict(cfg),
        "classes": class_names,
        "train_seconds": seconds,
        "preset": str(preset_dir),
        "encoder_params": int(encoder.count_params()),
        "accuracy": scores,
    }
    io.write_json(workdir / "metrics.json", metrics)
    return metrics


def _save_preset(encoder, preset_dir: Path) -> None:
    """``encoder.save_to_preset`` into a new folder beside ``preset_dir``, which then
    replaces it: an interrupted save leaves the old preset (or none), never half of one."""
    preset_dir.parent.mkdir(parents=True, exist_ok=True)
    fresh = Path(tempfile.mkdtemp(prefix=".preset-", dir=preset_dir.parent))
    try:
        encoder.save_to_preset(str(fresh))
        if preset_dir.exists():
            shutil.rmtree(preset_dir)
        fresh.rename(preset_dir)
    finally:
        shutil.rmtree(fresh, ignore_errors=True)
