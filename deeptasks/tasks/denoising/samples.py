"""What a person looks at: noisy | BM3D | model | clean with PSNR and a zoomed crop, and
CBDNet's estimated beside the true noise-level map."""

from __future__ import annotations

from pathlib import Path

import keras
import numpy as np

from deeptasks.common.io import to_uint8
from deeptasks.common.metrics.image import image_psnr
from deeptasks.common.plots import side_by_side
from deeptasks.tasks.denoising.data import describe_noise
from deeptasks.tasks.denoising.evaluation import test_results

SAMPLE_IMAGES = 3


def _show(image: np.ndarray) -> np.ndarray:
    return image[..., 0] if image.shape[-1] == 1 else image


def _map_image(noise_map: np.ndarray, top: float) -> np.ndarray:
    """A noise-level map as a grey uint8 picture, ``top`` (0-1 scale) white."""
    return to_uint8(np.clip(noise_map.mean(axis=-1) / max(top, 1e-6), 0.0, 1.0))


def write_samples(model: keras.Model, cfg, samples_dir: Path) -> list[Path]:
    """noisy | BM3D | model | clean figures (with a zoomed crop) and, for CBDNet, the
    estimated beside the true noise-level map."""
    written = []
    for result in test_results(model, cfg, SAMPLE_IMAGES):
        clean, bm3d = result["clean"], result["classical"]["bm3d"]["output"]
        panels = [
            (f"noisy  {image_psnr(result['noisy'], clean):.2f} dB", _show(result["noisy"])),
            (f"BM3D  {image_psnr(bm3d, clean):.2f} dB", _show(bm3d)),
            (
                f"{cfg.model.name}  {image_psnr(result['model'], clean):.2f} dB",
                _show(result["model"]),
            ),
            ("clean", _show(clean)),
        ]
        name = result["name"]
        title = f"{name}: {describe_noise(cfg)}, PSNR"
        written.append(side_by_side(samples_dir / f"{name}_denoised.png", panels, title, zoom=96))
        if result["noise_map"] is not None:
            top = float(max(result["sigma_map"].max(), result["noise_map"].max()))
            maps = [
                ("estimated noise level", _map_image(result["noise_map"], top)),
                ("true noise level", _map_image(result["sigma_map"], top)),
            ]
            title = f"{name}: noise-level maps (white = {top * 255:.1f} / 255)"
            written.append(side_by_side(samples_dir / f"{name}_noise_map.png", maps, title))
    return written
