"""The super-resolution task: compile, evaluate against bicubic, predict, samples, bench."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import keras
import numpy as np
import tensorflow as tf

from deeptasks.common.io import read_image, refuse_overwrite, to_uint8, write_image
from deeptasks.common.metrics.image import psnr, psnr_y, ssim_y
from deeptasks.common.plots import side_by_side
from deeptasks.common.tiling import receptive_radius, tiled_apply
from deeptasks.common.training import make_optimizer, training_throughput
from deeptasks.datasets import image_pipeline as ip
from deeptasks.datasets import image_sources as sources
from deeptasks.tasks.base import Task
from deeptasks.tasks.super_resolution import data
from deeptasks.tasks.super_resolution.config import PRESETS
from deeptasks.tasks.super_resolution.models import MODELS

LOSSES = {"default": "mean_absolute_error", "l1": "mean_absolute_error", "l2": "mean_squared_error"}
SAMPLE_IMAGES = 3


def compile_model(model: keras.Model, cfg) -> None:
    if cfg.train.loss not in LOSSES:
        from deeptasks.errors import UserError

        raise UserError(f"train.loss must be one of {', '.join(LOSSES)}; got '{cfg.train.loss}'")
    model.compile(
        optimizer=make_optimizer(cfg.train),
        loss=LOSSES[cfg.train.loss],
        metrics=[psnr],
        jit_compile=cfg.runtime.jit_compile,
    )


def super_resolve(model: keras.Model, cfg, low: np.ndarray) -> np.ndarray:
    """Upscale one [0, 1] float HxWx3 image by ``cfg.data.scale``, in seamless tiles."""
    scale = cfg.data.scale
    upsampled = data.upsampled_input(cfg)
    x = ip.bicubic_upscale(tf.constant(low, tf.float32), scale).numpy() if upsampled else low
    out = tiled_apply(
        lambda batch: model(batch, training=False),
        np.asarray(x, np.float32),
        out_scale=1 if upsampled else scale,
        tile=cfg.model.tile_size * (scale if upsampled else 1),
        margin=receptive_radius(model),
    )
    return np.clip(out, 0.0, 1.0)


def _test_triples(model, cfg, limit: int = 0):
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
    for hr, bicubic, output in _test_triples(model, cfg):
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


def write_samples(model: keras.Model, cfg, samples_dir: Path) -> list[Path]:
    """bicubic | model | original figures (with a zoomed crop) for a few test images."""
    border, written = cfg.data.scale, []
    names = sources.split_paths(cfg, "test")
    for index, (hr, bicubic, output) in enumerate(_test_triples(model, cfg, SAMPLE_IMAGES)):
        name = Path(names[index]).stem
        panels = [
            (f"bicubic  {psnr_y(bicubic, hr, border):.2f} dB", bicubic),
            (f"{cfg.model.name}  {psnr_y(output, hr, border):.2f} dB", output),
            ("original", hr),
        ]
        title = f"{name}: x{cfg.data.scale}, PSNR-Y"
        written.append(
            side_by_side(samples_dir / f"{name}_x{cfg.data.scale}.png", panels, title, zoom=96)
        )
    return written


def predict(
    model: keras.Model, cfg, inputs: list[Path], out_dir: Path, force: bool = False
) -> list[Path]:
    """Upscale user images (RGB, grey or RGBA, any size) to PNGs in ``out_dir``."""
    scale = cfg.data.scale
    images = [(Path(p), *read_image(p)) for p in inputs]  # read all first: fail before writing
    targets = [Path(out_dir) / f"{path.stem}_x{scale}.png" for path, _, _ in images]
    for target in targets:
        refuse_overwrite(target, force)
    written = []
    for (_, pixels, kind), target in zip(images, targets):
        rgb = np.repeat(pixels, 3, axis=-1) if kind == "grey" else pixels[..., :3]
        output = to_uint8(super_resolve(model, cfg, rgb.astype(np.float32) / 255.0))
        if kind == "grey":
            output = to_uint8(output.astype(np.float32).mean(axis=-1, keepdims=True) / 255.0)
        elif kind == "rgba":
            alpha = ip.bicubic_upscale(tf.constant(pixels[..., 3:] / 255.0, tf.float32), scale)
            output = np.concatenate([output, to_uint8(alpha.numpy())], axis=-1)
        written.append(write_image(target, output))
    return written


def describe_data(cfg) -> dict[str, Any]:
    return {
        **sources.split_sizes(cfg),
        "degradation": "antialiased bicubic downscaling (tf.image.resize, bicubic, antialias=True)",
        "scale": cfg.data.scale,
        "train_scales": list(data.train_scales(cfg)),
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


TASK = Task(
    name="super_resolution",
    description="single-image super-resolution (x2/x3/x4) vs bicubic; PSNR-Y/SSIM-Y",
    presets=PRESETS,
    models=MODELS,
    build_dataset=data.build_dataset,
    compile_model=compile_model,
    evaluate=evaluate,
    predict=predict,
    write_samples=write_samples,
    describe_data=describe_data,
    bench=bench,
    monitor=("val_psnr", "max"),
)
