"""The denoising task: compile, evaluate against BM3D and friends, predict, samples, bench."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import keras
import numpy as np

from deeptasks.common.io import read_image, refuse_overwrite, to_uint8, write_image
from deeptasks.common.losses import NoiseMapLoss, half_sum_squared_error
from deeptasks.common.metrics.image import image_psnr, image_ssim, psnr
from deeptasks.common.plots import side_by_side
from deeptasks.common.tiling import receptive_radius, tiled_apply
from deeptasks.common.training import make_optimizer, training_throughput
from deeptasks.datasets import image_sources as sources
from deeptasks.errors import UserError
from deeptasks.tasks.base import Task
from deeptasks.tasks.denoising import baselines, data
from deeptasks.tasks.denoising.config import PRESETS
from deeptasks.tasks.denoising.models import CBDNET_MARGIN, CBDNET_MULTIPLE, MODELS

LOSSES = {
    "default": half_sum_squared_error,
    "half_sse": half_sum_squared_error,
    "l2": "mean_squared_error",
    "l1": "mean_absolute_error",
}
SAMPLE_IMAGES = 3
METRICS = ("psnr", "ssim")


def compile_model(model: keras.Model, cfg) -> None:
    if cfg.train.loss not in LOSSES:
        raise UserError(f"train.loss must be one of {', '.join(LOSSES)}; got '{cfg.train.loss}'")
    if data.wants_noise_map(cfg):
        # CBDNet: L_rec + lambda_asymm * L_asymm + lambda_TV * L_TV
        reconstruction = "mean_squared_error" if cfg.train.loss == "default" else cfg.train.loss
        loss: Any = {
            "denoised": LOSSES.get(reconstruction, reconstruction),
            "noise_map": NoiseMapLoss(
                cfg.model.asymmetric_alpha, cfg.model.asymmetric_weight, cfg.model.tv_weight
            ),
        }
        metrics: Any = {"denoised": [psnr]}
    else:
        loss, metrics = LOSSES[cfg.train.loss], [psnr]
    model.compile(
        optimizer=make_optimizer(cfg.train),
        loss=loss,
        metrics=metrics,
        jit_compile=cfg.runtime.jit_compile,
    )


def monitor(cfg) -> tuple[str, str]:
    """The validation PSNR the best checkpoint keeps (named per output for CBDNet)."""
    return ("val_denoised_psnr" if data.wants_noise_map(cfg) else "val_psnr", "max")


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
    For CBDNet, ``noise_scale`` scales the estimated map and ``level`` (0-1 scale)
    replaces it by a uniform one.
    """
    control = _noise_control(model)
    noisy = np.asarray(noisy, np.float32)
    channels = noisy.shape[-1]
    if control is None:
        margin, multiple = receptive_radius(model), 1
    else:
        margin, multiple = CBDNET_MARGIN, CBDNET_MULTIPLE
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
        out = tiled_apply(run, noisy, tile=cfg.model.tile_size, margin=margin)
    finally:
        if control is not None:  # back to blind defaults for the next caller
            control.scale.assign(1.0)
            control.level.assign(-1.0)
    clean = np.clip(out[..., :channels], 0.0, 1.0)
    return clean, (out[..., channels:] if control is not None else None)


def _scores(output: np.ndarray, clean: np.ndarray) -> dict[str, float]:
    return {"psnr": image_psnr(output, clean), "ssim": image_ssim(output, clean)}


def _test_results(model: keras.Model, cfg, limit: int = 0):
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
    for result in _test_results(model, cfg):
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


def _show(image: np.ndarray) -> np.ndarray:
    return image[..., 0] if image.shape[-1] == 1 else image


def _map_image(noise_map: np.ndarray, top: float) -> np.ndarray:
    """A noise-level map as a grey uint8 picture, ``top`` (0-1 scale) white."""
    return to_uint8(np.clip(noise_map.mean(axis=-1) / max(top, 1e-6), 0.0, 1.0))


def write_samples(model: keras.Model, cfg, samples_dir: Path) -> list[Path]:
    """noisy | BM3D | model | clean figures (with a zoomed crop) and, for CBDNet, the
    estimated beside the true noise-level map."""
    written = []
    for result in _test_results(model, cfg, SAMPLE_IMAGES):
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
    if cfg.model.name == "cbdnet":
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
) -> list[Path]:
    """Denoise user images (grey, RGB or RGBA, any size) to ``<name>_denoised.png``.

    ``sigma`` (0-255): the inputs' noise level - for a fixed-sigma DnCNN it rescales the
    input to the level the model knows; for CBDNet it replaces the estimated map (non-blind
    use). ``noise_scale``: CBDNet only, scales its estimated map (> 1 smoother).
    """
    if noise_scale is not None and cfg.model.name != "cbdnet":
        raise UserError("--noise-scale applies to CBDNet runs only; this run is a DnCNN")
    if noise_scale is not None and noise_scale <= 0:
        raise UserError(f"--noise-scale must be > 0; got {noise_scale}")
    if sigma is not None and cfg.model.name != "cbdnet" and data.is_blind(cfg):
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


def describe_noise(cfg) -> str:
    colour = "colour" if cfg.data.color else "grey"
    if cfg.data.noise == "realistic":
        return f"{colour}, realistic camera noise (Poisson-Gaussian, Bayer, gamma, JPEG)"
    return f"{colour}, AWGN sigma={cfg.data.sigma:g}"


def describe_data(cfg) -> dict[str, Any]:
    data.check(cfg)
    training = (
        f"sigma uniform in {list(cfg.data.sigma_range)}"
        if cfg.data.blind and cfg.data.noise == "gaussian"
        else "as tested"
    )
    return {
        **sources.split_sizes(cfg),
        "noise": describe_noise(cfg),
        "training_noise": training,
        "test_crop": cfg.data.test_crop,
        "test_seed": cfg.data.test_seed,
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


TASK = Task(
    name="denoising",
    description="image denoising (AWGN, realistic camera noise) vs BM3D, NLM, wavelet; PSNR/SSIM",
    presets=PRESETS,
    models=MODELS,
    build_dataset=data.build_dataset,
    compile_model=compile_model,
    evaluate=evaluate,
    predict=predict,
    write_samples=write_samples,
    describe_data=describe_data,
    bench=bench,
    monitor=monitor,
    check=data.check,
    predict_options=("sigma", "noise_scale"),
)
