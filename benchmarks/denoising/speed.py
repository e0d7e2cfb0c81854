"""Speed table for denoising: input pipeline vs training step, and inference vs BM3D.

For each configuration (fresh weights) it measures, ``--repeats`` times: patches/s of the
tf.data pipeline alone (noise drawn on the fly), patches/s of a training step on one batch
in memory, and megapixels/s of whole-image denoising of a test photo by the model and by
BM3D on the same noisy image. It prints medians; "pipeline / step" > 1 means the pipeline
is not the bottleneck.

    python benchmarks/denoising/speed.py [--repeats 3] [--only grey]
"""

from __future__ import annotations

import argparse
import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import deeptasks  # noqa: E402
from deeptasks.benchmarking import (
    bench_medians,  # noqa: E402
    markdown_table,  # noqa: E402
)
from deeptasks.common.training import machine_summary  # noqa: E402

CONFIGS = {
    "dncnn grey (benchmark)": ("benchmark", []),
    "dncnn grey (benchmark, no XLA)": ("benchmark", ["runtime.jit_compile=false"]),
    "dncnn colour (benchmark)": ("benchmark", ["data.color=true"]),
    "dncnn grey (paper 17x64)": ("benchmark", ["model.filters=64"]),
    "cbdnet realistic": ("realistic", []),
}
KEYS = (
    "pipeline_patches_per_s",
    "train_step_patches_per_s",
    "pipeline_headroom",
    "inference_mpix_per_s",
    "bm3d_mpix_per_s",
)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--only", default="", help="the rows whose name contains this text")
    args = parser.parse_args()
    task = deeptasks.get_task("denoising")
    rows = []
    for name, (preset, overrides) in CONFIGS.items():
        if args.only not in name:
            continue
        cfg = task.config(preset, overrides)
        values = bench_medians(task, cfg, KEYS, args.repeats)
        speedup = float(values[3]) / float(values[4])
        rows.append(
            (name, f"{cfg.data.patch_size}px x{cfg.train.batch_size}", *values, f"{speedup:.1f}x")
        )
    print(f"\ndenoising, median of {args.repeats}, {machine_summary()}")
    header = (
        "model",
        "patch x batch",
        "pipeline patches/s",
        "train-step patches/s",
        "pipeline / step",
        "model MP/s",
        "BM3D MP/s",
        "model / BM3D",
    )
    print(markdown_table(header, rows))


if __name__ == "__main__":
    main()
