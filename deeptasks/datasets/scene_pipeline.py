"""The ``scenes`` corpus in tf.data, shared by detection and segmentation.

Scene ``i`` of a split is rendered by Python (:meth:`scenes.SceneSource.render`) inside
the pipeline through ``tf.numpy_function``, so training can draw fresh scenes for ever
and finite splits are fixed by their seed. A task asks for the fields it needs:
``image`` (uint8 [S, S, 3]), ``boxes`` (float32 [n, 4]), ``labels`` (int32 [n]) or
``semantic`` (uint8 [S, S], 0 background, class k -> k + 1).
"""

from __future__ import annotations

import atexit
import threading
import time

import numpy as np
import tensorflow as tf

from deeptasks.datasets import scenes
from deeptasks.errors import UserError

SCENE_SOURCES = ("auto", "stamps", "shapes")
SCENES_IF_UNLIMITED = 1000  # scenes of a finite split asked for "all" (a limit of 0)
ENDLESS = 2**62
FIELDS = {
    "image": (tf.uint8, np.uint8),
    "boxes": (tf.float32, np.float32),
    "labels": (tf.int32, np.int32),
    "semantic": (tf.uint8, np.uint8),
}
# Python functions inside tf.data and interpreter exit: a live iterator's prefetch threads
# would keep calling into Python while exit tears the interpreter down, and the process
# hangs. At exit the scene renderer refuses further calls, so the pipelines stop first.
_EXITING = threading.Event()


@atexit.register
def _stop_rendering() -> None:
    _EXITING.set()
    time.sleep(0.2)  # let renders already running finish


def splits(source: str) -> tuple[str, ...]:
    """The splits of a data source: ``novel`` too for the scenes corpus (see
    :data:`scenes.PROTOCOL`)."""
    return scenes.SPLITS if source in SCENE_SOURCES else ("train", "val", "test")


def check_split(source: str, split: str) -> None:
    valid = splits(source)
    if split not in valid:
        raise UserError(
            f"unknown split '{split}' for data.source={source}; valid: {', '.join(valid)}"
        )


def other_test_splits(cfg) -> tuple[str, ...]:
    """What a task scores beside ``test`` (:attr:`Task.other_test_splits`): the scenes
    corpus's ``novel`` object pictures; nothing for other sources."""
    return tuple(s for s in splits(cfg.data.source) if s not in ("train", "val", "test"))


def class_names(objects: str) -> list[str]:
    """The object classes of the scenes of ``objects`` (auto | stamps | shapes)."""
    return list(scenes.corpus_info(objects)["classes"])


def scene_indices(
    limit: int, endless: bool = False, pipelines: int = 1, pipeline_id: int = 0
) -> tf.data.Dataset:
    """Scene numbers of a split: ``limit`` of them (0: :data:`SCENES_IF_UNLIMITED`), or
    endless ones for training; every ``pipelines``-th from ``pipeline_id`` (sharding)."""
    stop = ENDLESS if endless else limit or SCENES_IF_UNLIMITED
    return tf.data.Dataset.range(pipeline_id, stop, pipelines)


def scene_examples(
    objects: str,
    split: str,
    seed: int,
    indices: tf.data.Dataset,
    fields: tuple[str, ...] = ("image", "boxes", "labels"),
) -> tf.data.Dataset:
    """Tuples of the scene ``fields`` of each index in ``indices``."""
    source = scenes.scene_source(objects, split, seed)
    size = source.difficulty.size
    shapes = {
        "image": [size, size, 3],
        "boxes": [None, 4],
        "labels": [None],
        "semantic": [size, size],
    }

    def render(index):
        if _EXITING.is_set():  # end the pipeline instead of feeding it while Python exits
            raise RuntimeError("interpreter exiting")
        scene = source.render(int(index))
        return tuple(np.asarray(getattr(scene, name), FIELDS[name][1]) for name in fields)

    def element(index):
        values = tf.numpy_function(
            render, [index], [FIELDS[name][0] for name in fields], stateful=False
        )
        return tuple(
            tf.ensure_shape(value, shapes[name])
            if None not in shapes[name]
            else tf.reshape(value, [-1 if d is None else d for d in shapes[name]])
            for name, value in zip(fields, values)
        )

    return indices.map(element, num_parallel_calls=tf.data.AUTOTUNE)


def describe(objects: str, seed: int, val_images: int, test_images: int) -> dict:
    """What ``deeptasks data`` prints about a scenes source: the corpus version, its
    difficulty and object pictures, the split sizes and the seed that fixes them."""
    corpus = scenes.corpus_info(objects)
    info = {k: v for k, v in corpus.items() if k not in ("cutouts_dir", "classes")}
    info["splits"] = {
        "train": "fresh scenes every step",
        "val": val_images,
        "test": test_images,
        "novel": test_images,
    }
    info["scene_seed"] = seed
    return info


def render_speed(objects: str, seed: int, count: int) -> dict:
    """Training scenes rendered per second by one Python thread."""
    source = scenes.scene_source(objects, "train", seed)
    started = time.perf_counter()
    for index in range(count):
        source.render(index)
    return {"scenes_per_s_one_thread": round(count / (time.perf_counter() - started), 1)}
