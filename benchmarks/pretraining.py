"""From scratch vs fine-tuned from the toolkit's own pretrained encoder, for detection and
segmentation, on the scenes corpus's ``test`` (training pictures, held-out backgrounds)
and ``novel`` (unseen pictures) splits.

1. ``deeptasks pretrain`` once into ``ROOT/pretrain`` (``--pretrain-steps`` crops batches);
2. per task, three runs of the same model at ``--preset``:
   - ``scratch``: a randomly initialised encoder;
   - ``pretrained``: the encoder from ``ROOT/pretrain/preset``, the same training steps
     (the pretraining cost paid once, as with a hub preset);
   - ``pretrained, same total``: as above with fewer steps per epoch, so pretraining plus
     fine-tuning take the scratch run's training time.
Finished runs are reused (``benchmarking.train_once``).

    python benchmarks/pretraining.py [--preset default] [--pretrain-steps 500]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
from pathlib import Path

from deeptasks.benchmarking import markdown_table, train_once

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

RUNS = {  # task: (model, headline metric)
    "detection": ("centernet", "map_50"),
    "segmentation": ("deeplabv3plus", "miou"),
}


def pretrain_once(workdir: Path, steps: int) -> dict:
    """``deeptasks pretrain`` into ``workdir`` unless it has finished there; its metrics."""
    if not (workdir / "metrics.json").exists():
        command = [sys.executable, "-m", "deeptasks", "pretrain", "--workdir", str(workdir)]
        command += ["--steps", str(steps), "--force"]
        print("$", " ".join(command[1:]), flush=True)
        subprocess.run(command, check=True, stdout=subprocess.DEVNULL)
    return json.loads((workdir / "metrics.json").read_text())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--preset", default="default")
    parser.add_argument("--pretrain-steps", type=int, default=500)
    parser.add_argument("--backbone-lr-scale", type=float, default=1.0)
    parser.add_argument("--only", default=",".join(RUNS), help="comma-separated tasks")
    parser.add_argument("--root", default="runs/bench-pretraining")
    args = parser.parse_args()
    root = Path(args.root)
    pre = pretrain_once(root / "pretrain", args.pretrain_steps)
    fine_tune = [
        f"model.backbone_preset={pre['preset']}",
        f"model.backbone_lr_scale={args.backbone_lr_scale}",
    ]
    rows = []
    for task in filter(None, args.only.split(",")):
        model, metric = RUNS[task]
        scratch = train_once(task, root / f"{task}-scratch", args.preset, model, [])
        steps = json.loads((root / f"{task}-scratch" / "config.json").read_text())["train"]
        share = max(0.0, 1 - pre["train_seconds"] / scratch["train_seconds"])
        shorter = [f"train.steps_per_epoch={max(1, round(steps['steps_per_epoch'] * share))}"]
        runs = {
            "scratch": scratch,
            "pretrained": train_once(
                task, root / f"{task}-pretrained", args.preset, model, fine_tune
            ),
            "pretrained, same total": train_once(
                task,
                root / f"{task}-pretrained-same-total",
                args.preset,
                model,
                fine_tune + shorter,
            ),
        }
        for start, metrics in runs.items():
            pretrain_s = 0 if start == "scratch" else pre["train_seconds"]
            rows.append(
                (
                    task,
                    model,
                    start,
                    f"{pretrain_s:.0f}",
                    f"{metrics['train_seconds']:.0f}",
                    f"{metric} {metrics['test']['model'][metric]:.3f}",
                    f"{metrics['novel']['model'][metric]:.3f}",
                )
            )
    accuracy = pre["accuracy"]
    print(
        f"\npretrained encoder: {pre['config']['backbone']}, {pre['config']['steps']} steps of "
        f"{pre['config']['batch_size']} {pre['config']['crop_size']} px crops, "
        f"{pre['train_seconds']:.0f} s; crop accuracy val {accuracy['val']['accuracy']:.3f}, "
        f"test {accuracy['test']['accuracy']:.3f}, novel {accuracy['novel']['accuracy']:.3f}"
    )
    header = ("task", "model", "encoder", "pretrain s", "train s", "test", "novel")
    print(markdown_table(header, rows))


if __name__ == "__main__":
    main()
