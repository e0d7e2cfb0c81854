"""Super-resolution configs and presets."""

from __future__ import annotations

from dataclasses import dataclass

from deeptasks.config import RuntimeConfig, TaskConfig, TrainConfig, choice


@dataclass
class DataConfig:
    source: str = choice("auto", "auto", "bundled", "folder", "div2k")
    folder: str = ""  # source=folder: a folder of the user's images
    tfds_data_dir: str = ""  # source=div2k: where tfds keeps (or finds) DIV2K
    scale: int = choice(3, 2, 3, 4)  # evaluation scale, and training scale of "lr" models
    # Scales mixed in training; empty = the model's own choice (VDSR: 2,3,4; others: scale).
    # Several scales only for "upsampled" models.
    train_scales: tuple[int, ...] = ()
    # Training images are also used downscaled by these factors (antialiased): big, smooth
    # wallpapers then also yield dense, detailed patches like those of ordinary photos.
    train_rescales: tuple[float, ...] = (1.0, 0.5, 0.25)
    hr_patch_size: int = 96  # training patch side on the HR grid (a multiple of every scale)
    patches_per_image: int = 16  # random patches drawn per visit of an image
    shuffle_buffer: int = 512
    val_patch_size: int = 192
    val_patches_per_image: int = 4
    test_limit: int = 0  # 0 = every test image


@dataclass
class ModelConfig:
    name: str = "edsr"  # srcnn | vdsr | espcn | edsr
    filters: int = 0  # 0 = the paper's width
    depth: int = 0  # VDSR conv layers / EDSR residual blocks; 0 = the paper's depth
    res_scale: float = 1.0  # EDSR residual scaling
    tile_size: int = 192  # inference tile side in input pixels (memory bound)
    # inference: average over the 8 flips and quarter-turns of the image (EDSR+, 8x time)
    self_ensemble: bool = False


def _config(preset: str, data: DataConfig, model: ModelConfig, train: TrainConfig) -> TaskConfig:
    return TaskConfig("super_resolution", preset, data, model, train, RuntimeConfig())


def smoke() -> TaskConfig:
    """Seconds on a CPU: bundled photos, a tiny EDSR, two short epochs."""
    return _config(
        "smoke",
        DataConfig(
            source="bundled",
            hr_patch_size=48,
            patches_per_image=8,
            shuffle_buffer=64,
            val_patch_size=96,
            val_patches_per_image=1,
            test_limit=2,
        ),
        ModelConfig(name="edsr", filters=16, depth=2),
        TrainConfig(epochs=2, steps_per_epoch=4, batch_size=4, learning_rate=1e-3),
    )


def default() -> TaskConfig:
    """The README demo: a few minutes on 2 CPU cores, x3, clearly above bicubic."""
    return _config(
        "default",
        DataConfig(),
        ModelConfig(name="edsr", filters=32, depth=4),
        TrainConfig(epochs=20, steps_per_epoch=100, batch_size=16, learning_rate=1e-3),
    )


def benchmark() -> TaskConfig:
    """The quality table (<= 20 CPU-minutes per model)."""
    return _config(
        "benchmark",
        DataConfig(),
        ModelConfig(name="edsr", filters=32, depth=8),
        TrainConfig(epochs=30, steps_per_epoch=200, batch_size=16, learning_rate=1e-3),
    )


def div2k() -> TaskConfig:
    """EDSR-baseline's paper recipe on DIV2K (needs internet for tfds and a GPU)."""
    return _config(
        "div2k",
        DataConfig(
            source="div2k",
            hr_patch_size=144,
            patches_per_image=32,
            shuffle_buffer=4096,
            val_patches_per_image=9,
        ),
        ModelConfig(name="edsr"),
        TrainConfig(
            epochs=300,
            steps_per_epoch=1000,
            batch_size=16,
            learning_rate=1e-4,
            lr_schedule="step",
            lr_step_epochs=200,
        ),
    )


PRESETS = {"smoke": smoke, "default": default, "benchmark": benchmark, "div2k": div2k}
