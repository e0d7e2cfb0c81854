"""deeptasks: Keras 3 / TensorFlow applied deep-learning tasks, each beside a classical baseline."""

from __future__ import annotations

import importlib
import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

__version__ = "0.1.0"

# Task packages under deeptasks/tasks/, imported on first use so that `import deeptasks`
# stays cheap and a broken optional task cannot stop the others from loading.
TASK_PACKAGES = (
    "super_resolution",
    "denoising",
    "detection",
    "segmentation",
    "speech_recognition",
    "translation",
)


def list_tasks() -> list[str]:
    """Names of every task."""
    return list(TASK_PACKAGES)


def get_task(name: str):
    """The :class:`deeptasks.tasks.base.Task` registered under ``name``."""
    from deeptasks import registry
    from deeptasks.errors import UserError

    if name not in TASK_PACKAGES:
        raise UserError(f"unknown task '{name}'; valid tasks: {', '.join(TASK_PACKAGES)}")
    importlib.import_module(f"deeptasks.tasks.{name}")
    return registry.get("task", name)
