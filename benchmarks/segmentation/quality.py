"""Quality table for segmentation: U-Net and DeepLabV3+ beside FCN-8s (the simple
reference) and the all-background and colour-histogram baselines.

Trains each run once into ``runs/bench-segmentation/<run>/`` (finished runs are reused)
on the scenes corpus at its fixed difficulty and prints mIoU and pixel accuracy (one
confusion matrix over the test scenes), per-class IoU and CPU inference speed.

    python benchmarks/segmentation/quality.py [--only unet,deeplabv3plus,fcn] [--preset benchmark]
"""

from __future__ import annotations

import argparse
import os
from pathlib import Path

from deeptasks.benchmarking import markdown_table, train_once

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

MODELS = ("unet", "deeplabv3plus", "fcn")


def _iou(value) -> str:
    return "-" if value is None else f"{value:.3f}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", default=",".join(MODELS), help="comma-separated models")
    parser.add_argument("--preset", default="benchmark")
    parser.add_argument("--root", default="runs/bench-segmentation")
    args = parser.parse_args()
    rows, classes = [], []
    for model in filter(None, args.only.split(",")):
        workdir = Path(args.root) / f"{model}-{args.preset}"
        metrics = train_once("segmentation", workdir, args.preset, model, [])
        test = metrics["test"]
        rows.append(
            (
                model,
                f"{test['model']['miou']:.3f}",
                f"{test['model']['pixel_accuracy']:.3f}",
                f"{test['model']['foreground_iou']:.3f}",
                f"{test['images_per_second']:.1f}",
                f"{metrics['train_seconds'] / 60:.1f}",
            )
        )
        classes.append((model, *(_iou(v) for v in test["per_class_iou"].values())))
    for name, scores in test["baselines"].items():
        rows.append((f"{name} (baseline)", f"{scores['miou']:.3f}"))
        rows[-1] += (f"{scores['pixel_accuracy']:.3f}", f"{scores['foreground_iou']:.3f}")
        rows[-1] += ("-", "-")
    classes.append(
        ("colour_bayes", *(_iou(v) for v in test["per_class_iou_colour_bayes"].values()))
    )
    data = metrics["data"]
    print(
        f"\nsegmentation, {data['corpus']} ({data['objects']} objects), {test['images']} test "
        f"scenes, preset {args.preset}, {metrics['machine']}"
    )
    header = ("model", "mIoU", "pixel acc", "object IoU", "infer img/s", "train min")
    print(markdown_table(header, rows))
    print("\nper-class IoU")
    print(markdown_table(("model", *test["per_class_iou"]), classes))


if __name__ == "__main__":
    main()
