from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

import deeptasks

NOTEBOOKS = sorted((Path(__file__).parents[1] / "notebooks").glob("*.ipynb"))
# Each notebook starts a kernel and trains its smoke preset: 12-24 s. These six took
# 17-24 s each in CI (`--durations`); they run in `make test-all`, the other three in the
# fast suite, so a broken notebook machinery still fails CI.
SLOW = {"detection", "speech_recognition", "text_to_speech", "segmentation", "translation"}
SLOW |= {"summarization"}


@pytest.mark.parametrize(
    "path",
    [pytest.param(p, marks=[pytest.mark.slow] if p.stem in SLOW else []) for p in NOTEBOOKS],
    ids=lambda p: p.stem,
)
def test_notebook_runs_top_to_bottom(path, tmp_path):
    notebook = nbformat.read(path, as_version=4)
    assert 'PRESET = "smoke"' in "".join(c.source for c in notebook.cells)
    NotebookClient(
        notebook,
        timeout=600,
        kernel_name="python3",
        resources={"metadata": {"path": str(tmp_path)}},
    ).execute()
    errors = [
        o
        for c in notebook.cells
        if c.cell_type == "code"
        for o in c.get("outputs", [])
        if o.get("output_type") == "error"
    ]
    assert not errors
    printed = "".join(o.get("text", "") for c in notebook.cells for o in c.get("outputs", []))
    assert deeptasks.get_task(path.stem).headline_metric in printed  # the task's own number


def test_every_task_has_a_notebook():
    assert set(deeptasks.list_tasks()) <= {p.stem for p in NOTEBOOKS}
