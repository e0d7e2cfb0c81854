"""deeptasks: Keras 3 / TensorFlow applied deep-learning tasks, each beside a classical baseline.

Importing it registers every Keras layer, loss, metric and optimizer the tasks' models
use, so ``keras.saving.load_model(path, safe_mode=True)`` works on any run's
``model.keras`` after ``import deeptasks``, as after ``import keras_hub``. It imports each
task's ``models.py`` for that (and Keras, TensorFlow and keras-hub with them), not the
tasks' data, evaluation or corpus code, which load on first use of a task.
"""

from __future__ import annotations

import importlib
import os
import pkgutil
import sys

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

__version__ = "0.1.0"

_TASKS_PATH = os.path.join(os.path.dirname(__file__), "tasks")

# Warnings the libraries print in normal use that say nothing is wrong, filtered here and
# only here, each with the reason it is harmless. Everything else still shows.
KNOWN_WARNINGS = {
    # Our datasets shuffle in tf.data; Keras warns about its own (unused) shuffle flag.
    r".*`shuffle=True` was passed.*": UserWarning,
    # A finite validation split ends each validation pass this way.
    r".*Your input ran out of data.*": UserWarning,
    # Loading a keras-hub task model (RetinaNet, DeepLabV3+) whose compile() is its own:
    # a loaded run serves predict, evaluate and export; training resumes from the run's
    # backup/ and checkpoints/, never from model.keras's optimizer state.
    r".*`compile\(\)` was not called as part of model loading.*": UserWarning,
    r".*Skipping variable loading for optimizer.*": UserWarning,
    # A keras-hub preset encoder loaded for DeepLabV3+ keeps the stages after the ASPP's
    # level, which get no gradient (a named encoder is built without them).
    r".*Gradients do not exist for variables.*stack3_.*": UserWarning,
    # numpy 2 asks TensorFlow's tensors for a no-copy view with a keyword they do not
    # take yet; numpy then copies, which is what the caller gets either way.
    r".*__array__ implementation doesn't accept a copy keyword.*": DeprecationWarning,
}


def _filter_known_warnings() -> None:
    import warnings

    for message, category in KNOWN_WARNINGS.items():
        warnings.filterwarnings("ignore", message=message, category=category)


def _import_tensorflow_quietly() -> None:
    """Import TensorFlow with stderr muted: its C++ start-up lines (oneDNN, CUDA probing)
    are printed before its log level applies, and would bury a command's one-line error.
    Only at the default quiet level; a caller who set TF_CPP_MIN_LOG_LEVEL below 2 sees them.
    """
    if int(os.environ.get("TF_CPP_MIN_LOG_LEVEL", "0")) < 2 or "tensorflow" in sys.modules:
        return
    sys.stderr.flush()
    saved = os.dup(2)
    try:
        with open(os.devnull, "w") as devnull:
            os.dup2(devnull.fileno(), 2)
            import tensorflow as tf

            tf.config.list_physical_devices("GPU")
    finally:
        os.dup2(saved, 2)
        os.close(saved)


def list_tasks() -> list[str]:
    """Names of every task: the packages under ``deeptasks/tasks/`` (no list to edit)."""
    return sorted(m.name for m in pkgutil.iter_modules([_TASKS_PATH]) if m.ispkg)


def get_task(name: str):
    """The :class:`deeptasks.tasks.base.Task` registered under ``name``."""
    from deeptasks import registry
    from deeptasks.errors import UserError

    names = list_tasks()
    if name not in names:
        raise UserError(f"unknown task '{name}'; valid tasks: {', '.join(names)}")
    importlib.import_module(f"deeptasks.tasks.{name}.task")
    return registry.get("task", name)


def _register_serializables() -> None:
    """Import every task's ``models.py``: the modules that define (or import) the
    ``@keras.saving.register_keras_serializable`` classes its saved models refer to."""
    _import_tensorflow_quietly()
    _filter_known_warnings()
    for name in list_tasks():
        importlib.import_module(f"deeptasks.tasks.{name}.models")


_register_serializables()
