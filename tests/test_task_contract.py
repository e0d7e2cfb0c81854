"""The contract every task keeps (DESIGN.md §2), checked for every task that
``deeptasks list`` shows, with no task named here: a new task gets these tests by
existing. Each task's smoke run is trained once per session (conftest ``train_smoke``)."""

import json
import math
import os
import subprocess
import sys

import pytest

import deeptasks
from deeptasks.cli import main

TASKS = deeptasks.list_tasks()


def test_every_task_package_is_listed_and_registered(capsys):
    assert main(["list"]) == 0
    listed = [line.split(":")[0] for line in capsys.readouterr().out.splitlines()]
    assert [name for name in listed if not name.startswith(" ")] == TASKS
    for name in TASKS:
        task = deeptasks.get_task(name)
        assert task.name == name and {"smoke", "default"} <= set(task.presets)


@pytest.mark.parametrize("name", TASKS)
def test_smoke_run_trains_saves_and_reports_model_beside_baseline(name, train_smoke):
    run = train_smoke(name)
    metrics = json.loads((run / "metrics.json").read_text())
    assert (metrics["task"], metrics["preset"]) == (name, "smoke")
    for key in ("model_name", "data", "train_seconds", "train_samples_per_second"):
        assert key in metrics
    model, baseline = metrics["test"]["model"], metrics["test"]["baseline"]
    headline = deeptasks.get_task(name).headline_metric
    assert headline in model and headline in baseline
    assert set(baseline) <= set(model)  # the baseline is measured the model's way
    assert all(math.isfinite(v) for v in (*model.values(), *baseline.values()))
    assert (run / "model.keras").is_file() and (run / "history.csv").is_file()
    assert metrics["samples"] and all((run / s).is_file() for s in metrics["samples"])


@pytest.mark.parametrize("name", TASKS)
def test_cli_evaluate_prints_the_headline_for_model_and_baseline(name, train_smoke, capsys):
    assert main(["evaluate", "--workdir", str(train_smoke(name))]) == 0
    rows = [line.split() for line in capsys.readouterr().out.splitlines()]
    headline = deeptasks.get_task(name).headline_metric
    assert any(row[:1] == [headline] and len(row) >= 4 for row in rows)


@pytest.mark.parametrize("name", TASKS)
def test_cli_predict_writes_output_for_the_tasks_example_inputs(name, train_smoke, tmp_path):
    run = train_smoke(name)
    task = deeptasks.get_task(name)
    cfg = task.config("smoke")
    inputs = task.example_inputs(cfg, tmp_path / "in")
    out = tmp_path / ("out.txt" if task.text_output else "out")
    assert main(["predict", "--workdir", str(run), *map(str, inputs), "-o", str(out)]) == 0
    written = [out] if out.is_file() else [p for p in out.rglob("*") if p.is_file()]
    assert written and all(p.stat().st_size > 0 for p in written)


@pytest.mark.parametrize("name", TASKS)
def test_fresh_process_loads_the_model_after_import_and_bad_input_is_one_line(
    name, train_smoke, tmp_path
):
    """``import deeptasks`` alone lets Keras load the run's model (safe mode); the CLI
    then answers a missing input with exit 2 and one stderr line, nothing before it."""
    run = train_smoke(name)
    missing = tmp_path / "missing.input"
    script = (
        "import sys, deeptasks, keras\n"
        f"model = keras.saving.load_model({str(run / 'model.keras')!r}, safe_mode=True)\n"
        "print(type(model).__name__, model.count_params())\n"
        "from deeptasks.cli import main\n"
        f"sys.exit(main(['predict', '--workdir', {str(run)!r}, {str(missing)!r}]))\n"
    )
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "2"}
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, env=env, timeout=300
    )
    assert done.returncode == 2, done.stderr
    assert int(done.stdout.split()[1]) > 0
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1, lines
    assert lines[0].startswith("deeptasks: error: ") and "missing.input" in lines[0]
