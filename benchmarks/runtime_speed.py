"""Training speed under the runtime options: float32, mixed precision, XLA.

Samples/s through ``fit`` (the driver's ``fit_throughput``: one untimed epoch, one timed)
for one task's preset under each setting; the settings take turns, ``--repeats`` rounds,
and the table shows medians and the speed-up over float32 without XLA measured in the
same rounds. On a GPU use ``--precision mixed_float16``.

    python benchmarks/runtime_speed.py [--task denoising] [--preset default] [--steps 20]
        [--precision mixed_bfloat16] [--repeats 3]
"""

from __future__ import annotations

import argparse
import os
import statistics

from _table import markdown_table

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--task", default="denoising")
    parser.add_argument("--preset", default="default")
    parser.add_argument("--precision", default="mixed_bfloat16", help="or mixed_float16 (GPU)")
    parser.add_argument("--steps", type=int, default=20)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()

    import deeptasks
    from deeptasks.common.training import fit_throughput, machine_summary

    task = deeptasks.get_task(args.task)
    settings = {
        "float32": ["runtime.mixed_precision=float32"],
        "float32 + XLA": ["runtime.mixed_precision=float32", "runtime.jit_compile=true"],
        args.precision: [f"runtime.mixed_precision={args.precision}"],
        f"{args.precision} + XLA": [
            f"runtime.mixed_precision={args.precision}",
            "runtime.jit_compile=true",
        ],
    }
    speeds: dict[str, list[float]] = {name: [] for name in settings}
    for _ in range(args.repeats):
        for name, overrides in settings.items():
            samples_per_s, _ = fit_throughput(task, task.config(args.preset, overrides), args.steps)
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
    cfg = task.config(args.preset)
    print(
        f"\n{args.task}/{cfg.model.name} preset {args.preset}, batch {cfg.train.batch_size}, "
        f"{args.steps} timed steps, median of {args.repeats}; {machine_summary()}"
    )
    print(markdown_table(("runtime", "samples/s", "vs float32", "runs"), rows))


if __name__ == "__main__":
    main()
