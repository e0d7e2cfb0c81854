"""Whole-image inference in tiles, without seams.

Each tile is run with a margin of real neighbouring pixels at least as wide as the
model's receptive radius, and only its centre is kept, so the stitched result equals
running the model on the whole image (up to float rounding) while memory stays bounded.
"""

from __future__ import annotations

import copy
from collections.abc import Callable

import keras
import numpy as np


def receptive_radius(model: keras.Model) -> int:
    """An upper bound, in input pixels, on how far a convolution stack sees: the sum of
    ``dilation * (kernel - 1) / 2`` over every Conv2D, nested layers included."""
    seen: set[int] = set()

    def walk(layer) -> int:
        if id(layer) in seen:
            return 0
        seen.add(id(layer))
        total = 0
        if isinstance(layer, keras.layers.Conv2D | keras.layers.Conv2DTranspose):
            total += max((k - 1) // 2 * d for k, d in zip(layer.kernel_size, layer.dilation_rate))
        children = getattr(layer, "layers", None) or [
            v for v in vars(layer).values() if isinstance(v, keras.layers.Layer)
        ]
        return total + sum(walk(child) for child in children)

    return walk(model)


def tiled_apply(
    fn: Callable[[np.ndarray], np.ndarray],
    image: np.ndarray,
    out_scale: int = 1,
    tile: int = 256,
    margin: int = 16,
    ensemble: bool = False,
) -> np.ndarray:
    """Apply ``fn`` ([1, h, w, C] -> [1, h*s, w*s, C']) to an HxWxC image tile by tile;
    with ``ensemble``, the mean over the image's 8 flips and quarter-turns
    (:func:`self_ensemble`)."""
    if ensemble:
        return self_ensemble(lambda view: tiled_apply(fn, view, out_scale, tile, margin), image)
    height, width = image.shape[:2]
    if height <= tile + 2 * margin and width <= tile + 2 * margin:
        return np.asarray(fn(image[None]))[0]
    s = out_scale
    out = None
    for top in range(0, height, tile):
        for left in range(0, width, tile):
            bottom, right = min(top + tile, height), min(left + tile, width)
            y0, x0 = max(top - margin, 0), max(left - margin, 0)
            y1, x1 = min(bottom + margin, height), min(right + margin, width)
            result = np.asarray(fn(image[None, y0:y1, x0:x1]))[0]
            if out is None:
                out = np.zeros((height * s, width * s, result.shape[-1]), result.dtype)
            dy, dx = (top - y0) * s, (left - x0) * s
            out[top * s : bottom * s, left * s : right * s] = result[
                dy : dy + (bottom - top) * s, dx : dx + (right - left) * s
            ]
    return out


def self_ensemble(fn: Callable[[np.ndarray], np.ndarray], image: np.ndarray) -> np.ndarray:
    """The mean of ``fn`` (HxWxC -> an image of the same orientation, any scale) over the
    8 flips and quarter-turns of ``image``, each output turned back first: the geometric
    self-ensemble of EDSR+ / RCAN+. 8x the inference time; it cancels what the model has
    not learned to do equally in every orientation."""
    total = None
    for turns in range(4):
        for flip in (False, True):
            view = np.rot90(image, turns, axes=(0, 1))
            if flip:
                view = view[:, ::-1]
            out = np.asarray(fn(np.ascontiguousarray(view)), np.float32)
            if flip:
                out = out[:, ::-1]
            out = np.rot90(out, -turns, axes=(0, 1))
            total = out.copy() if total is None else total + out
    return total / 8.0


SELF_ENSEMBLE_HELP = "average over the input's 8 flips and quarter-turns (8x slower)"


def with_self_ensemble(cfg, on: bool | None):
    """``cfg`` for a predict call: a copy with ``model.self_ensemble`` on if asked (the
    caller's config is left as it was)."""
    if not on:
        return cfg
    cfg = copy.deepcopy(cfg)
    cfg.model.self_ensemble = True
    return cfg
