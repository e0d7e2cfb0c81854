"""What the scripts under ``benchmarks/`` share: training runs for the quality tables
(each trained once, reused afterwards), medians of a task's bench, the comma-separated
option lists of the sweeps, and the Markdown tables they print (pasted into docs/)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Sequence
from pathlib import Path


def comma_values(text: str, kind=float) -> list:
    """``"0.5,1,2"`` -> ``[0.5, 1.0, 2.0]`` (``kind`` converts each value)."""
    return [kind(v) for v in text.split(",") if v]


def train_once(task: str, workdir: Path, preset: str, model: str, overrides: list[str]) -> dict:
    """``deeptasks train`` into ``workdir`` unless a finished run is there; its metrics
    (with the wall time of the command that made it). A table can thus be built up over
    several sittings, and an interrupted run resumes where it stopped."""
    metrics_path = Path(workdir) / "metrics.json"
    if not metrics_path.exists():
        started = time.perf_counter()
        command = [sys.executable, "-m", "deeptasks", "train", task, "--preset", preset]
        command += ["--model", model, "--workdir", str(workdir)]
        command += [arg for override in overrides for arg in ("--set", override)]
        print("$", " ".join(command[1:]), flush=True)
        subprocess.run(
            command,
            check=True,
            env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "2"},
            stdout=subprocess.DEVNULL,
        )
        metrics = json.loads(metrics_path.read_text())
        metrics["wall_seconds"] = round(time.perf_counter() - started, 1)
        metrics_path.write_text(json.dumps(metrics, indent=2) + "\n")
    return json.loads(metrics_path.read_text())


def bench_medians(task, cfg, keys: tuple[str, ...], repeats: int) -> list[str]:
    """``task.bench`` of a fresh model ``repeats`` times; the median of each key, as text."""
    import statistics

    model = task.build_model(cfg)
    runs = [task.bench(model, cfg) for _ in range(repeats)]
    return [f"{statistics.median(run[key] for run in runs):g}" for key in keys]


def markdown_table(header: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    return "\n".join(lines)
