"""Quality table for detection: CenterNet, the YOLO grid (and RetinaNet) vs box priors.

Trains each run once into ``runs/bench-detection/<run>/`` (finished runs are reused) on
the scenes corpus at its fixed difficulty and prints COCO mAP (pycocotools) on the test
scenes (training object pictures on held-out backgrounds) and on the novel ones (unseen
object pictures), per-class AP and CPU inference speed.

    python benchmarks/detection/quality.py [--only centernet,yolo,retinanet] [--preset benchmark]
"""

from __future__ import annotations

import argparse
import os
from pathlib import Path

from deeptasks.benchmarking import markdown_table, train_once

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

MODELS = ("centernet", "yolo")  # retinanet: --only retinanet (over 30 min at this preset)
SPLITS = ("test", "novel")  # instance protocol (the headline), unseen object pictures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", default=",".join(MODELS), help="comma-separated models")
    parser.add_argument("--preset", default="benchmark")
    parser.add_argument("--root", default="runs/bench-detection")
    args = parser.parse_args()
    rows, classes = [], []
    for model in filter(None, args.only.split(",")):
        workdir = Path(args.root) / f"{model}-{args.preset}"
        metrics = train_once("detection", workdir, args.preset, model, [])
        for split in SPLITS:
            if split in metrics:
                rows.append((model, split, *_cells(metrics, metrics[split])))
        test = metrics["test"]
        classes.append((model, *(f"{ap:.3f}" for ap in test["per_class_ap"].values())))
        names = list(test["per_class_ap"])
    data = metrics["data"]
    print(
        f"\ndetection, {data['corpus']} ({data['objects']} objects), {test['images']} scenes "
        f"a split ({test['objects']} objects in test), preset {args.preset}, {metrics['machine']}"
    )
    header = (
        "model",
        "split",
        "mAP@[.5:.95]",
        "mAP@0.5",
        "mAP@0.75",
        "recall",
        "any-class mAP@0.5",
        "box prior mAP",
        "box prior mAP@0.5",
        "infer img/s",
        "train min",
    )
    print(markdown_table(header, rows))
    print("\nper-class AP@[.5:.95], test")
    print(markdown_table(("model", *names), classes))


def _cells(metrics: dict, test: dict) -> tuple[str, ...]:
    return (
        f"{test['model']['map_50_95']:.3f}",
        f"{test['model']['map_50']:.3f}",
        f"{test['model']['map_75']:.3f}",
        f"{test['model']['recall']:.3f}",
        f"{test['class_agnostic']['map_50']:.3f}",
        f"{test['baseline']['map_50_95']:.3f}",
        f"{test['baseline']['map_50']:.3f}",
        f"{test['images_per_second']:.1f}",
        f"{metrics['train_seconds'] / 60:.1f}",
    )


if __name__ == "__main__":
    main()
