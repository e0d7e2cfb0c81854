"""What a person looks at: bicubic | model | original, with PSNR-Y and a zoomed crop."""

from __future__ import annotations

from pathlib import Path

import keras

from deeptasks.common.metrics.image import psnr_y
from deeptasks.common.plots import side_by_side
from deeptasks.datasets import image_sources as sources
from deeptasks.tasks.super_resolution.evaluation import test_triples

SAMPLE_IMAGES = 3


def write_samples(model: keras.Model, cfg, samples_dir: Path) -> list[Path]:
    """bicubic | model | original figures (with a zoomed crop) for a few test images."""
    border, written = cfg.data.scale, []
    names = sources.split_paths(cfg, "test")
    for index, (hr, bicubic, output) in enumerate(test_triples(model, cfg, SAMPLE_IMAGES)):
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
