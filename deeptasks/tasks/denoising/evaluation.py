"""The denoising test protocol: PSNR and SSIM (every channel, 8-bit) of the model, the
noisy input, BM3D, non-local means and wavelet shrinkage on the same noisy test images,
their speeds, and the task's bench."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import keras
import numpy as np

from deeptasks.common.io import to_uint8
from deeptasks.common.metrics.image import image_psnr, image_ssim
from deeptasks.common.throughput import training_throughput
from deeptasks.datasets import image_sources as sources
from deeptasks.errors import UserError
from deeptasks.tasks.denoising import baselines, data
from deeptasks.tasks.denoising.data import describe_noise
from deeptasks.tasks.denoising.inference import denoise_image

METRICS = ("psnr", "ssim")


def _scores(output: np.ndarray, clean: np.ndarray) -> dict[str, float]:
    return {"psnr": image_psnr(output, clean), "ssim": image_ssim(output, clean)}


def test_results(model: keras.Model, cfg, limit: int = 0):
    """Per test image: clean, noisy and every method's uint8 output, and timings."""
    paths = sources.split_paths(cfg, "test")
    for index, (clean, noisy, sigma_map) in enumerate(data.test_triples(cfg)):
        if limit and index >= limit:
            return
        started = time.perf_counter()
        output, noise_map = denoise_image(model, cfg, noisy)
        seconds = time.perf_counter() - started
        classical = baselines.run(cfg, index, paths[index], to_uint8(clean), noisy)
        yield {
            "name": Path(str(paths[index])).stem,
            "clean": to_uint8(clean),
            "noisy": to_uint8(noisy),
            "model": to_uint8(output),
            "model_seconds": seconds,
            "noise_map": noise_map,
            "sigma_map": sigma_map,
            "classical": classical,
        }


def evaluate(model: keras.Model, cfg) -> dict[str, Any]:
    """PSNR and SSIM (every channel, 8-bit) of the model, the noisy input, BM3D,
    non-local means and wavelet shrinkage on the same noisy test images."""
    rows, pixels, seconds = [], 0, {"model": 0.0, **{m: 0.0 for m in baselines.METHODS}}
    for result in test_results(model, cfg):
        clean = result["clean"]
        row = {
            "image": result["name"],
            "shape": list(clean.shape),
            "model": _scores(result["model"], clean),
            "noisy": _scores(result["noisy"], clean),
            "baseline_sigma_255": round(result["classical"]["sigma"] * 255.0, 3),
        }
        for method in baselines.METHODS:
            row[method] = _scores(result["classical"][method]["output"], clean)
            seconds[method] += result["classical"][method]["seconds"]
        seconds["model"] += result["model_seconds"]
        pixels += clean.shape[0] * clean.shape[1]
        rows.append(row)
    if not rows:
        raise UserError("the test split has no images; check data.source / data.folder")

    def mean(who: str) -> dict[str, float]:
        return {k: float(np.mean([row[who][k] for row in rows])) for k in METRICS}

    return {
        "model": mean("model"),
        "baseline": mean("bm3d"),
        "baseline_name": "bm3d",
        "baselines": {who: mean(who) for who in ("noisy", *baselines.METHODS)},
        "noise": describe_noise(cfg),
        "images": len(rows),
        "megapixels_per_second": {
            who: round(pixels / 1e6 / max(s, 1e-9), 4) for who, s in seconds.items()
        },
        "per_image": rows,
    }


def bench(model: keras.Model, cfg, batches: int = 10) -> dict[str, Any]:
    """Throughput of the input pipeline, of a training step, of inference, and BM3D's
    speed on the same test image."""
    throughput = training_throughput(
        model,
        data.build_dataset(cfg, "train"),
        cfg.train.batch_size,
        sources.batches_per_pass(cfg),
        batches,
    )
    clean, noisy, _ = next(data.test_triples(cfg))
    denoise_image(model, cfg, noisy[:64, :64])  # warm up
    started = time.perf_counter()
    denoise_image(model, cfg, noisy)
    infer = clean.shape[0] * clean.shape[1] / 1e6 / (time.perf_counter() - started)
    started = time.perf_counter()
    baselines.denoise("bm3d", noisy, baselines.noise_level(noisy, cfg))
    bm3d = clean.shape[0] * clean.shape[1] / 1e6 / (time.perf_counter() - started)
    return {
        **throughput,
        "inference_mpix_per_s": round(infer, 4),
        "bm3d_mpix_per_s": round(bm3d, 4),
        "inference_image": list(clean.shape),
    }
