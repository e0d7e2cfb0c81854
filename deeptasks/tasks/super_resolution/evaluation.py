"""The super-resolution test protocol (PSNR-Y and SSIM-Y, border = scale, on 8-bit
outputs, as SR papers report them) for the model and bicubic, and the task's bench."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import keras
import numpy as np

from deeptasks.common.io import to_uint8
from deeptasks.common.metrics.image import psnr_y, ssim_y
from deeptasks.common.throughput import training_throughput
from deeptasks.datasets import image_pipeline as ip
from deeptasks.datasets import image_sources as sources
from deeptasks.tasks.super_resolution import data
from deeptasks.tasks.super_resolution.inference import super_resolve


def test_triples(model, cfg, limit: int = 0):
    """Yield ``(hr, bicubic, model)`` uint8 images for the test split."""
    scale = cfg.data.scale
    for index, image in enumerate(sources.split_images(cfg, "test")):
        if limit and index >= limit:
            return
        hr = ip.modcrop(ip.to_float(image), scale)
        low = ip.bicubic_downscale(hr, scale)
        bicubic = ip.bicubic_upscale(low, scale)
        yield (
            to_uint8(hr.numpy()),
            to_uint8(bicubic.numpy()),
            to_uint8(super_resolve(model, cfg, low.numpy())),
        )


def evaluate(model: keras.Model, cfg) -> dict[str, Any]:
    """PSNR-Y and SSIM-Y (border = scale) of model and bicubic on every test image."""
    border = cfg.data.scale
    rows = []
    for hr, bicubic, output in test_triples(model, cfg):
        rows.append(
            {
                "shape": list(hr.shape[:2]),
                "model": {
                    "psnr_y": psnr_y(output, hr, border),
                    "ssim_y": ssim_y(output, hr, border),
                },
                "baseline": {
                    "psnr_y": psnr_y(bicubic, hr, border),
                    "ssim_y": ssim_y(bicubic, hr, border),
                },
            }
        )
    names = [Path(p).stem for p in sources.split_paths(cfg, "test")]
    for row, name in zip(rows, names):
        row["image"] = name

    def mean(who: str) -> dict[str, float]:
        return {k: float(np.mean([r[who][k] for r in rows])) for k in ("psnr_y", "ssim_y")}

    return {
        "model": mean("model"),
        "baseline": mean("baseline"),
        "baseline_name": "bicubic",
        "scale": cfg.data.scale,
        "images": len(rows),
        "per_image": rows,
    }


def bench(model: keras.Model, cfg, batches: int = 20) -> dict[str, float]:
    """Throughput of the input pipeline alone, of a training step, and of inference."""
    throughput = training_throughput(
        model,
        data.build_dataset(cfg, "train"),
        cfg.train.batch_size,
        sources.batches_per_pass(cfg),
        batches,
    )
    image = next(iter(sources.split_images(cfg, "test")))
    hr = ip.modcrop(ip.to_float(image), cfg.data.scale)
    low = ip.bicubic_downscale(hr, cfg.data.scale).numpy()
    super_resolve(model, cfg, low[:64, :64])  # warm up
    started = time.perf_counter()
    out = super_resolve(model, cfg, low)
    infer = out.shape[0] * out.shape[1] / 1e6 / (time.perf_counter() - started)
    return {
        **throughput,
        "inference_output_mpix_per_s": round(infer, 3),
        "inference_image": list(out.shape[:2]),
    }
