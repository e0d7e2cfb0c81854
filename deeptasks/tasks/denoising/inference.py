"""Denoising one image with a trained model, in seamless tiles; CBDNet's noise-level
map under the caller's control."""

from __future__ import annotations

import keras
import numpy as np

from deeptasks.common.tiling import receptive_radius, tiled_apply
from deeptasks.tasks.base import model_spec


def _noise_control(model: keras.Model):
    try:
        return model.get_layer("noise_control")
    except ValueError:
        return None


def denoise_image(
    model: keras.Model,
    cfg,
    noisy: np.ndarray,
    noise_scale: float = 1.0,
    level: float | None = None,
) -> tuple[np.ndarray, np.ndarray | None]:
    """Denoise one float ``[H, W, C]`` image in seamless tiles.

    Returns ``(clean, noise_map)``; ``noise_map`` is CBDNet's estimate (else ``None``).
    ``cfg.model.self_ensemble``: the mean over the image's 8 flips and quarter-turns.
    For CBDNet, ``noise_scale`` scales the estimated map and ``level`` (0-1 scale)
    replaces it by a uniform one.
    """
    control = _noise_control(model)
    noisy = np.asarray(noisy, np.float32)
    channels = noisy.shape[-1]
    own = model_spec(cfg).extra
    margin = own.get("tile_margin") or receptive_radius(model)
    multiple = own.get("size_multiple", 1)
    if control is not None:
        control.scale.assign(noise_scale)
        control.level.assign(-1.0 if level is None else level)

    def run(batch: np.ndarray) -> np.ndarray:
        height, width = batch.shape[1:3]
        pad_h, pad_w = -height % multiple, -width % multiple
        if pad_h or pad_w:
            batch = np.pad(batch, [(0, 0), (0, pad_h), (0, pad_w), (0, 0)], mode="reflect")
        out = model(batch, training=False)
        if isinstance(out, dict):
            out = np.concatenate([np.asarray(out["denoised"]), np.asarray(out["noise_map"])], -1)
        return np.asarray(out)[:, :height, :width]

    try:
        out = tiled_apply(
            run, noisy, tile=cfg.model.tile_size, margin=margin, ensemble=cfg.model.self_ensemble
        )
    finally:
        if control is not None:  # back to blind defaults for the next caller
            control.scale.assign(1.0)
            control.level.assign(-1.0)
    clean = np.clip(out[..., :channels], 0.0, 1.0)
    return clean, (out[..., channels:] if control is not None else None)
