"""Where a trained detector loses its score: COCO mAP of one run on scenes of each split.

Train scenes show the training object pictures on the training backgrounds; validation
and test scenes the same pictures on held-out backgrounds (the instance protocol); novel
scenes unseen pictures on the test backgrounds. The drop from train to test is the
backgrounds' share, from test to novel the pictures'. Each split is scored per class and
with every class merged ("any class"). With ``--swap`` one more row puts the novel
pictures on the training backgrounds: the pictures' share alone.

    python benchmarks/detection/generalisation.py runs/bench-detection/retinanet-benchmark \
        [--scenes 64] [--swap]
"""

from __future__ import annotations

import argparse
import os
from pathlib import Path

from deeptasks.benchmarking import markdown_table

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("workdir", help="a finished 'deeptasks train detection' run folder")
    parser.add_argument("--scenes", type=int, default=64, help="first N scenes of each split")
    parser.add_argument("--swap", action="store_true", help="also swap objects and backgrounds")
    args = parser.parse_args()

    from deeptasks.common.metrics.detection import coco_evaluate, coco_evaluate_any_class
    from deeptasks.datasets import scenes
    from deeptasks.runs import load_run
    from deeptasks.tasks.detection import data
    from deeptasks.tasks.detection.evaluation import labelled_batches
    from deeptasks.tasks.detection.inference import detect

    _, cfg, model = load_run(Path(args.workdir))
    names, size = data.class_names(cfg), (cfg.data.image_size,) * 2
    # the renderers the pipeline uses (scene_source is cached), so a swap reaches it
    train, novel = (
        scenes.scene_source(cfg.data.source, s, cfg.data.scene_seed) for s in ("train", "novel")
    )
    rows = []
    cases = [(split, split, None) for split in data.scene_pipeline.splits(cfg.data.source)]
    if args.swap:  # novel pictures on the training backgrounds
        cases.append(("novel objects, train backgrounds", "novel", (novel, train.backgrounds)))
    for label, split, swap in cases:
        if swap:
            renderer, kept = swap[0], swap[0].backgrounds
            renderer.backgrounds = swap[1]
        truth, found = [], []
        for images, batch_truth in labelled_batches(cfg, split, args.scenes):
            found += detect(model, cfg, images)
            truth += batch_truth
        if swap:
            renderer.backgrounds = kept
        scores = coco_evaluate(truth, found, names, size)
        merged = coco_evaluate_any_class(truth, found, size)
        rows.append(
            (
                label,
                str(len(truth)),
                f"{scores['map_50_95']:.3f}",
                f"{scores['map_50']:.3f}",
                f"{merged['map_50_95']:.3f}",
                f"{merged['map_50']:.3f}",
            )
        )
    print(f"\n{args.workdir}: first {args.scenes} scenes of each split")
    header = ("split", "scenes", "mAP", "mAP@0.5", "any-class mAP", "any-class mAP@0.5")
    print(markdown_table(header, rows))


if __name__ == "__main__":
    main()
