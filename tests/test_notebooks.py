from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

import deeptasks

NOTEBOOKS = sorted((Path(__file__).parents[1] / "notebooks").glob("*.ipynb"))


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
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
