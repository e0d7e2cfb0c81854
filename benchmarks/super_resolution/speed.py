"""Speed table for super-resolution: input pipeline vs training step vs inference.

For each model (benchmark preset, x3, fresh weights) it measures, ``--repeats`` times:
patches/s of the tf.data pipeline alone, patches/s of a training step on one batch
already in memory, and output megapixels/s of whole-image inference on a test photo.
It prints medians and the pipeline/step ratio (> 1: the pipeline is not the bottleneck).

    python benchmarks/super_resolution/speed.py [--models srcnn,espcn,edsr] [--repeats 5]
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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--models", default="srcnn,espcn,edsr")
    parser.add_argument("--preset", default="benchmark")
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    task = deeptasks.get_task("super_resolution")
    keys = (
        "pipeline_patches_per_s",
        "train_step_patches_per_s",
        "pipeline_headroom",
        "inference_output_mpix_per_s",
    )
    rows = []
    for name in args.models.split(","):
        cfg = task.config(args.preset, [f"model.name={name}"])
        rows.append((name, *bench_medians(task, cfg, keys, args.repeats)))
    print(
        f"\nsuper_resolution x3, preset {args.preset}, batch {cfg.train.batch_size}, "
        f"median of {args.repeats}, {machine_summary()}"
    )
    header = (
        "model",
        "pipeline patches/s",
        "train-step patches/s",
        "pipeline / step",
        "inference MP/s (out)",
    )
    print(markdown_table(header, rows))


if __name__ == "__main__":
    main()
