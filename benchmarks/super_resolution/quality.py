"""Quality table for super-resolution: each model and scale vs bicubic on the test photos.

Trains ``deeptasks train super_resolution --preset benchmark`` once per (model, scale)
into ``runs/bench/<model>-x<scale>/`` (a finished run is reused, so the table can be
built up over several sittings) and prints one markdown table.

    python benchmarks/super_resolution/quality.py [--models edsr,espcn,srcnn] [--scales 2,3,4]
"""

from __future__ import annotations

import argparse
from pathlib import Path

from deeptasks.benchmarking import markdown_table, train_once


def run(model: str, scale: int, root: Path, preset: str, extra: list[str]) -> dict:
    overrides = [f"data.scale={scale}", *extra]
    return train_once("super_resolution", root / f"{model}-x{scale}", preset, model, overrides)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--models", default="srcnn,espcn,edsr")
    parser.add_argument("--scales", default="2,3,4")
    parser.add_argument("--preset", default="benchmark")
    parser.add_argument("--root", default="runs/bench")
    parser.add_argument("--set", dest="extra", action="append", default=[])
    args = parser.parse_args()
    rows = []
    for scale in [int(s) for s in args.scales.split(",")]:
        for model in args.models.split(","):
            metrics = run(model, scale, Path(args.root), args.preset, args.extra)
            test = metrics["test"]
            rows.append(
                (
                    model,
                    f"x{scale}",
                    f"{test['model']['psnr_y']:.2f}",
                    f"{test['baseline']['psnr_y']:.2f}",
                    f"{test['model']['psnr_y'] - test['baseline']['psnr_y']:+.2f}",
                    f"{test['model']['ssim_y']:.4f}",
                    f"{test['baseline']['ssim_y']:.4f}",
                    f"{metrics['train_seconds'] / 60:.1f}",
                    f"{metrics.get('wall_seconds', 0) / 60:.1f}",
                )
            )
    header = (
        "model",
        "scale",
        "PSNR-Y",
        "bicubic PSNR-Y",
        "gain dB",
        "SSIM-Y",
        "bicubic SSIM-Y",
        "train min",
        "wall min",
    )
    print(
        f"\nsuper_resolution, preset {args.preset}, test photos ({metrics['data']['corpus']}, "
        f"{metrics['data']['splits']['test']} images), {metrics['machine']}"
    )
    print(markdown_table(header, rows))


if __name__ == "__main__":
    main()
