"""Training speed under the runtime options: float32, mixed precision, XLA.

Samples/s through ``fit`` (the driver's ``fit_throughput``: one untimed epoch, one timed)
for one task's preset under each setting; the settings take turns, ``--repeats`` rounds,
and the table shows medians and the speed-up over float32 without XLA measured in the
same rounds. On a GPU use ``--precision mixed_float16``.

``--one-batch`` times ``train_on_batch`` on the first training batch instead, repeated:
the model's own speed without the input pipeline or the retracing of batches whose
shapes vary (translation and speech batch by length), and much quicker to start.

    python benchmarks/runtime_speed.py [--task denoising] [--preset default] [--steps 20]
        [--precision mixed_bfloat16] [--repeats 3] [--one-batch] [--no-xla] [--set K=V]
"""

from __future__ import annotations

import argparse
import os
import statistics

from deeptasks.benchmarking import markdown_table

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--task", default="denoising")
    parser.add_argument("--preset", default="default")
    parser.add_argument("--precision", default="mixed_bfloat16", help="or mixed_float16 (GPU)")
    parser.add_argument("--steps", type=int, default=20)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--one-batch", action="store_true", help="time train_on_batch")
    parser.add_argument("--no-xla", action="store_true", help="skip the XLA settings")
    parser.add_argument("--set", action="append", default=[], help="config override K=V")
    args = parser.parse_args()

    import deeptasks
    from deeptasks.common.throughput import fit_throughput, one_batch_throughput
    from deeptasks.common.training import machine_summary

    task = deeptasks.get_task(args.task)
    batch = None
    if args.one_batch:
        batch = next(iter(task.build_dataset(task.config(args.preset, args.set), "train")))
    settings = {
        "float32": ["runtime.mixed_precision=float32"],
        "float32 + XLA": ["runtime.mixed_precision=float32", "runtime.jit_compile=true"],
        args.precision: [f"runtime.mixed_precision={args.precision}"],
        f"{args.precision} + XLA": [
            f"runtime.mixed_precision={args.precision}",
            "runtime.jit_compile=true",
        ],
    }
    if args.no_xla:
        settings = {name: value for name, value in settings.items() if "XLA" not in name}
    speeds: dict[str, list[float]] = {name: [] for name in settings}
    for _ in range(args.repeats):
        for name, overrides in settings.items():
            cfg = task.config(args.preset, [*args.set, *overrides])
            if batch is None:
                samples_per_s, _ = fit_throughput(task, cfg, args.steps)
            else:
                samples_per_s = one_batch_throughput(task, cfg, batch, args.steps)
            speeds[name].append(samples_per_s)
    base = statistics.median(speeds["float32"])
    rows = [
        (
            name,
            f"{statistics.median(values):.1f}",
            f"{statistics.median(values) / base:.2f}",
            " ".join(f"{v:.0f}" for v in values),
        )
        for name, values in speeds.items()
    ]
    cfg = task.config(args.preset, args.set)
    how = f"train_on_batch on one batch of shape {_shapes(batch)}" if batch else "fit"
    print(
        f"\n{args.task}/{cfg.model.name} preset {args.preset} {' '.join(args.set)}, "
        f"batch {cfg.train.batch_size}, {args.steps} timed steps through {how}, median of "
        f"{args.repeats}; {machine_summary()}"
    )
    print(markdown_table(("runtime", "samples/s", "vs float32", "runs"), rows))


def _shapes(batch) -> str:
    inputs = batch[0]
    parts = inputs.values() if isinstance(inputs, dict) else [inputs]
    return " + ".join("x".join(map(str, part.shape)) for part in parts)


if __name__ == "__main__":
    main()
