"""Quality table for segmentation: U-Net and DeepLabV3+ beside FCN-8s (the simple
reference) and the all-background and colour-histogram baselines.

Trains each run once into ``runs/bench-segmentation/<run>/`` (finished runs are reused)
on the scenes corpus at its fixed difficulty and prints mIoU and pixel accuracy (one
confusion matrix over the test scenes: training object pictures on held-out backgrounds;
and over the novel ones: unseen object pictures), per-class IoU and CPU inference speed.

    python benchmarks/segmentation/quality.py [--only unet,deeplabv3plus,fcn] [--preset benchmark]
"""

from __future__ import annotations

import argparse
import os
from pathlib import Path

from deeptasks.benchmarking import markdown_table, train_once

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

MODELS = ("unet", "deeplabv3plus", "fcn")


SPLITS = ("test", "novel")  # instance protocol (the headline), unseen object pictures


def _iou(value) -> str:
    return "-" if value is None else f"{value:.3f}"


def _cells(scores: dict) -> tuple[str, ...]:
    return tuple(f"{scores[k]:.3f}" for k in ("miou", "pixel_accuracy", "foreground_iou"))


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
        for split in (s for s in SPLITS if s in metrics):
            scores = metrics[split]
            speed = (f"{scores['images_per_second']:.1f}", f"{metrics['train_seconds'] / 60:.1f}")
            rows.append((model, split, *_cells(scores["model"]), *speed))
            classes.append((model, split, *(_iou(v) for v in scores["per_class_iou"].values())))
    for split in (s for s in SPLITS if s in metrics):
        for name, scores in metrics[split]["baselines"].items():
            rows.append((f"{name} (baseline)", split, *_cells(scores), "-", "-"))
        per_class = metrics[split]["per_class_iou_colour_bayes"].values()
        classes.append(("colour_bayes", split, *(_iou(v) for v in per_class)))
    data, test = metrics["data"], metrics["test"]
    print(
        f"\nsegmentation, {data['corpus']} ({data['objects']} objects), {test['images']} "
        f"scenes a split, preset {args.preset}, {metrics['machine']}"
    )
    header = ("model", "split", "mIoU", "pixel acc", "object IoU", "infer img/s", "train min")
    print(markdown_table(header, rows))
    print("\nper-class IoU")
    print(markdown_table(("model", "split", *test["per_class_iou"]), classes))


if __name__ == "__main__":
    main()
