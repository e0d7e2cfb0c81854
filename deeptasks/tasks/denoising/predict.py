"""User images in, denoised PNGs out; ``--sigma`` and ``--noise-scale`` for the models
that can use them."""

from __future__ import annotations

from pathlib import Path

import keras
import numpy as np

from deeptasks.common.io import (
    read_image,
    refuse_overwrite,
    to_uint8,
    write_example_image,
    write_image,
)
from deeptasks.common.tiling import with_self_ensemble
from deeptasks.datasets import image_sources as sources
from deeptasks.errors import UserError
from deeptasks.tasks.base import model_spec
from deeptasks.tasks.denoising import data
from deeptasks.tasks.denoising.inference import denoise_image


def _fixed_sigma_scaling(cfg, sigma: float | None) -> float:
    """For a fixed-sigma DnCNN told the input's noise level: the factor that brings that
    noise to the level it was trained for (contrast is scaled about the mean, then
    restored)."""
    if sigma is None:
        return 1.0
    if sigma <= 0:
        raise UserError(f"--sigma must be > 0 (0-255 scale); got {sigma}")
    return cfg.data.sigma / sigma


def _denoise_for_user(model, cfg, image: np.ndarray, sigma, noise_scale) -> np.ndarray:
    if model_spec(cfg).extra.get("estimates_noise"):
        level = None if sigma is None else sigma / 255.0
        return denoise_image(model, cfg, image, noise_scale=noise_scale, level=level)[0]
    gain = _fixed_sigma_scaling(cfg, sigma)
    mean = image.mean(axis=(0, 1), keepdims=True)
    clean = denoise_image(model, cfg, (image - mean) * gain + mean)[0]
    return np.clip((clean - mean) / gain + mean, 0.0, 1.0) if gain != 1.0 else clean


def predict(
    model: keras.Model,
    cfg,
    inputs: list[Path],
    out_dir: Path,
    force: bool = False,
    sigma: float | None = None,
    noise_scale: float | None = None,
    self_ensemble: bool | None = None,
) -> list[Path]:
    """Denoise user images (grey, RGB or RGBA, any size) to ``<name>_denoised.png``.

    ``sigma`` (0-255): the inputs' noise level - for a fixed-sigma DnCNN it rescales the
    input to the level the model knows; for CBDNet it replaces the estimated map (non-blind
    use). ``noise_scale``: CBDNet only, scales its estimated map (> 1 smoother).
    ``self_ensemble``: average over each image's 8 flips and quarter-turns (8x the time).
    """
    cfg = with_self_ensemble(cfg, self_ensemble)
    estimates_noise = model_spec(cfg).extra.get("estimates_noise", False)
    if noise_scale is not None and not estimates_noise:
        raise UserError("--noise-scale applies to CBDNet runs only; this run is a DnCNN")
    if noise_scale is not None and noise_scale <= 0:
        raise UserError(f"--noise-scale must be > 0; got {noise_scale}")
    if sigma is not None and not estimates_noise and data.is_blind(cfg):
        raise UserError("this DnCNN is blind: it estimates the level itself; drop --sigma")
    images = [(Path(p), *read_image(p)) for p in inputs]  # read all first: fail before writing
    targets = [Path(out_dir) / f"{path.stem}_denoised.png" for path, _, _ in images]
    for target in targets:
        refuse_overwrite(target, force)
    written = []
    for (_, pixels, kind), target in zip(images, targets):
        image = pixels[..., :3].astype(np.float32) / 255.0
        if cfg.data.color and kind == "grey":
            image = np.repeat(image, 3, axis=-1)
        if cfg.data.color or image.shape[-1] == 1:
            output = _denoise_for_user(model, cfg, image, sigma, noise_scale or 1.0)
        else:  # a grey model denoises each colour channel as a grey image
            output = np.concatenate(
                [
                    _denoise_for_user(model, cfg, image[..., c : c + 1], sigma, noise_scale or 1.0)
                    for c in range(3)
                ],
                axis=-1,
            )
        if kind == "grey" and output.shape[-1] == 3:
            output = output.mean(axis=-1, keepdims=True)
        output = to_uint8(output)
        if kind == "rgba":
            output = np.concatenate([output, pixels[..., 3:]], axis=-1)
        written.append(write_image(target, output))
    return written


def example_inputs(cfg, folder: Path) -> list[Path]:
    """The first test image, cropped to at most 96 x 128, as a PNG in ``folder``."""
    return write_example_image(next(iter(sources.split_images(cfg, "test"))).numpy(), folder)
