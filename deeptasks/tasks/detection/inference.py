"""Detecting objects with a trained model: images -> per-image boxes, scores, labels."""

from __future__ import annotations

import weakref

import keras
import numpy as np
import tensorflow as tf

from deeptasks.tasks.base import model_spec

_DECODERS: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def _decoder(model: keras.Model, cfg):
    """The model's own decoding (``ModelSpec.decode``) as one ``tf.function`` per model,
    traced per batch size: keras-hub's non-max suppression needs a static batch size,
    which ``model.predict`` does not always give it."""
    if model not in _DECODERS:
        run = model_spec(cfg).decode(model, cfg.model, cfg.data.image_size)
        _DECODERS[model] = tf.function(run)
    return _DECODERS[model]


def detect(model: keras.Model, cfg, images: np.ndarray) -> list[tuple[np.ndarray, ...]]:
    """Per image ``(boxes [M, 4], scores [M], labels [M])`` of normalised ``images``."""
    result = _decoder(model, cfg)(np.asarray(images, np.float32))
    count = np.asarray(result["num_detections"])
    boxes = np.clip(np.asarray(result["boxes"], np.float32), 0, cfg.data.image_size)
    scores, labels = np.asarray(result["confidence"]), np.asarray(result["labels"])
    return [
        (
            boxes[i][: count[i]],
            scores[i][: count[i]].astype(np.float32),
            labels[i][: count[i]].astype(np.int32),
        )
        for i in range(len(count))
    ]
