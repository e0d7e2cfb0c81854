"""Segmenting images with a trained model: per-pixel classes at each image's own size."""

from __future__ import annotations

import keras
import numpy as np


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
