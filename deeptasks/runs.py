"""A finished run directory: loading its task, config and model, and the report table
that ``deeptasks train`` and ``evaluate`` print."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import keras
import numpy as np

from deeptasks.config import read_config_file, update_from_dict
from deeptasks.errors import UserError


def load_run(workdir: Path):
    """``(task, cfg, model)`` of a finished run directory."""
    import deeptasks

    workdir = Path(workdir)
    values = read_config_file(workdir / "config.json")
    task = deeptasks.get_task(values["task"])
    cfg = update_from_dict(task.config(values.get("preset", "default")), values)
    model_path = workdir / "model.keras"
    if not model_path.exists():
        raise UserError(
            f"no model.keras in {workdir}; the run did not finish, re-run its train command"
        )
    model = keras.saving.load_model(str(model_path), safe_mode=True)
    return task, cfg, model


def format_report(metrics: dict[str, Any], split: str = "test") -> str:
    """A plain-text table of model vs baseline on the test split (or another scored one)."""
    test = metrics[split]
    names = list(test["model"])
    baseline_name = test.get("baseline_name", "baseline")
    # Other reference methods (e.g. the noisy input, other classical denoisers) follow.
    others = {k: v for k, v in test.get("baselines", {}).items() if k != baseline_name}
    rows = [
        (
            "metric",
            metrics.get("model_name", "model"),
            baseline_name,
            "delta",
            *others,
        )
    ]

    def cell(value, sign: str = "") -> str:  # a method without this metric shows "-"
        return "-" if value is None or np.isnan(value) else f"{value:{sign}.4f}"

    for name in names:
        model_value, base_value = test["model"][name], test["baseline"].get(name, np.nan)
        rows.append(
            (
                name,
                cell(model_value),
                cell(base_value),
                cell(model_value - base_value, "+"),
                *(cell(other.get(name, np.nan)) for other in others.values()),
            )
        )
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    lines = ["  ".join(cell.ljust(w) for cell, w in zip(row, widths)) for row in rows]
    lines.insert(1, "  ".join("-" * w for w in widths))
    # a reference scored on other terms (e.g. a subset) says so in its "note"
    lines += [f"{name}: {other['note']}" for name, other in others.items() if "note" in other]
    return "\n".join(lines)
