"""Classical denoisers reported beside every model: BM3D, non-local means, wavelets.

They run on exactly the noisy test images the model sees (noise fixed by seed). BM3D
takes seconds per image, so each baseline's output is cached in the data dir under a
key of everything that decides it (image file checksum, crop, colour, noise settings,
seed); every later run, and a run interrupted half way, reuses what was done.
"""

from __future__ import annotations

import hashlib
import json
import time
from pathlib import Path
from typing import Any

import numpy as np

from deeptasks.common.io import read_image, read_json, to_uint8, write_image, write_json
from deeptasks.datasets.cache import data_dir, sha256

METHODS = ("bm3d", "nl_means", "wavelet")
VERSION = 1


def noise_level(noisy: np.ndarray, cfg) -> float:
    """The noise std (0-1 scale) a classical method is given: the true level for AWGN,
    as BM3D papers do; for realistic noise a blind estimate (wavelet MAD, scikit-image)."""
    if cfg.data.noise == "gaussian":
        return cfg.data.sigma / 255.0
    from skimage.restoration import estimate_sigma

    channel_axis = -1 if noisy.shape[-1] > 1 else None
    image = noisy if channel_axis is not None else noisy[..., 0]
    return float(estimate_sigma(image, channel_axis=channel_axis, average_sigmas=True))


def denoise(method: str, noisy: np.ndarray, sigma: float) -> np.ndarray:
    """One classical method on a float ``[H, W, C]`` image; returns float [0, 1]."""
    colour = noisy.shape[-1] == 3
    sigma = max(sigma, 1e-3)
    if method == "bm3d":
        import bm3d

        out = bm3d.bm3d_rgb(noisy, sigma) if colour else bm3d.bm3d(noisy[..., 0], sigma)
    elif method == "nl_means":
        from skimage.restoration import denoise_nl_means

        # scikit-image's recommended setting for a known sigma (fast mode: h = 0.8 sigma)
        out = denoise_nl_means(
            noisy if colour else noisy[..., 0],
            h=0.8 * sigma,
            sigma=sigma,
            patch_size=5,
            patch_distance=6,
            fast_mode=True,
            channel_axis=-1 if colour else None,
        )
    elif method == "wavelet":
        from skimage.restoration import denoise_wavelet

        out = denoise_wavelet(
            noisy if colour else noisy[..., 0],
            sigma=sigma,
            method="BayesShrink",
            mode="soft",
            rescale_sigma=True,
            convert2ycbcr=colour,
            channel_axis=-1 if colour else None,
        )
    else:
        raise ValueError(f"unknown method {method!r}; valid: {', '.join(METHODS)}")
    out = np.asarray(out, np.float32).reshape(noisy.shape)
    return np.clip(out, 0.0, 1.0)


def cache_dir(cfg) -> Path:
    """The folder of cached baseline outputs for this test set and noise."""
    fields = {
        "version": VERSION,
        "source": cfg.data.source,
        "folder": cfg.data.folder,
        "noise": cfg.data.noise,
        "sigma": cfg.data.sigma if cfg.data.noise == "gaussian" else None,
        "color": cfg.data.color,
        "test_crop": cfg.data.test_crop,
        "test_seed": cfg.data.test_seed,
    }
    key = hashlib.sha256(json.dumps(fields, sort_keys=True).encode()).hexdigest()[:16]
    return data_dir() / "denoising-baselines" / key


def _image_key(path: Any, index: int) -> str:
    """Images are keyed by position and content, so a changed file is recomputed."""
    path = Path(str(path))
    digest = sha256(path)[:12] if path.exists() else "nofile"
    return f"{index:03d}-{path.stem}-{digest}"


def run(cfg, index: int, path: Any, clean: np.ndarray, noisy: np.ndarray) -> dict[str, Any]:
    """Every method on one test image: ``{method: {"output": uint8, "seconds": s}}`` plus
    the ``sigma`` they were given; from the cache when it is there."""
    folder = cache_dir(cfg)
    stem = _image_key(path, index)
    record_path = folder / f"{stem}.json"
    if record_path.exists():
        record = read_json(record_path)
        result: dict[str, Any] = {"sigma": record["sigma"]}
        for method in METHODS:
            pixels, _ = read_image(folder / f"{stem}_{method}.png")
            result[method] = {
                "output": pixels.reshape(clean.shape),
                "seconds": record["seconds"][method],
            }
        return result
    sigma = noise_level(noisy, cfg)
    result, seconds = {"sigma": sigma}, {}
    for method in METHODS:
        started = time.perf_counter()
        output = to_uint8(denoise(method, noisy, sigma))
        seconds[method] = round(time.perf_counter() - started, 3)
        write_image(folder / f"{stem}_{method}.png", output)
        result[method] = {"output": output, "seconds": seconds[method]}
    # The record is written last: a run killed half way recomputes only this image.
    write_json(record_path, {"sigma": sigma, "seconds": seconds, "shape": list(clean.shape)})
    return result
