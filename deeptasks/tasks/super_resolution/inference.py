"""Super-resolving one image with a trained model, in seamless tiles."""

from __future__ import annotations

import keras
import numpy as np
import tensorflow as tf

from deeptasks.common.tiling import receptive_radius, tiled_apply
from deeptasks.datasets import image_pipeline as ip
from deeptasks.tasks.super_resolution import data


def super_resolve(model: keras.Model, cfg, low: np.ndarray) -> np.ndarray:
    """Upscale one [0, 1] float HxWx3 image by ``cfg.data.scale``, in seamless tiles
    (averaged over its 8 flips and quarter-turns if ``cfg.model.self_ensemble``)."""
    scale = cfg.data.scale
    upsampled = data.upsampled_input(cfg)
    x = ip.bicubic_upscale(tf.constant(low, tf.float32), scale).numpy() if upsampled else low
    out = tiled_apply(
        lambda batch: model(batch, training=False),
        np.asarray(x, np.float32),
        out_scale=1 if upsampled else scale,
        tile=cfg.model.tile_size * (scale if upsampled else 1),
        margin=receptive_radius(model),
        ensemble=cfg.model.self_ensemble,
    )
    return np.clip(out, 0.0, 1.0)
