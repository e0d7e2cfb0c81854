"""The one training driver: config -> strategy -> model and data -> fit -> evaluate -> artifacts.

Run directory (``--workdir``) layout, DESIGN.md §4::

    config.json  checkpoints/best.weights.h5  backup/  model.keras  metrics.json
    history.csv  tensorboard/  samples/

A run killed mid-way and started again with the same command resumes from ``backup/``
(``keras.callbacks.BackupAndRestore``). A finished run is never overwritten without
``force``; a folder holding another task's run, or another config, is refused.
"""

from __future__ import annotations

import csv
import json
import os
import platform
import shutil
import sys
import time
from pathlib import Path
from typing import Any

import keras
import tensorflow as tf

from deeptasks.common import keras_compat
from deeptasks.common.distribute import is_chief, make_strategy, set_precision
from deeptasks.common.io import write_json
from deeptasks.config import TaskConfig, TrainConfig, read_config_file
from deeptasks.errors import UserError

ARTIFACTS = (
    "config.json",
    "checkpoints",
    "backup",
    "model.keras",
    "metrics.json",
    "history.csv",
    "tensorboard",
    "samples",
)


def make_optimizer(
    train: TrainConfig,
    optimizer_class: type = keras.optimizers.Adam,
    schedule: Any = None,
    **options: Any,
) -> keras.optimizers.Optimizer:
    """Adam (or an Adam subclass) with the configured schedule (or ``schedule``), gradient
    clipping and weight averaging (``train.ema``); ``options`` go to the optimizer."""
    if not 0.0 <= train.ema < 1.0:
        raise UserError(
            f"train.ema must be 0 (off) or a momentum below 1, e.g. 0.999; got {train.ema}"
        )
    if train.ema:
        options.update(use_ema=True, ema_momentum=train.ema)
    return optimizer_class(
        _schedule(train) if schedule is None else schedule,
        clipnorm=train.clipnorm or None,
        **options,
    )


def _schedule(train: TrainConfig) -> Any:
    """The learning rate over training that ``train.lr_schedule`` names."""
    total = max(train.epochs * train.steps_per_epoch, 1)
    if train.lr_schedule == "cosine":
        return keras.optimizers.schedules.CosineDecay(train.learning_rate, total, alpha=0.01)
    if train.lr_schedule == "step" and train.lr_step_epochs > 0:
        boundaries = list(range(train.lr_step_epochs, train.epochs, train.lr_step_epochs))
        return keras.optimizers.schedules.PiecewiseConstantDecay(
            [b * train.steps_per_epoch for b in boundaries],
            [train.learning_rate * 0.5**i for i in range(len(boundaries) + 1)],
        )
    return train.learning_rate


def prepare_workdir(workdir: Path, cfg: TaskConfig, force: bool) -> bool:
    """Check and prepare ``workdir``; return True when an unfinished run will be resumed."""
    workdir = Path(workdir)
    if workdir.exists() and not workdir.is_dir():
        raise UserError(f"--workdir {workdir} is a file; give a folder")
    config_path = workdir / "config.json"
    if force:
        for name in ARTIFACTS:
            target = workdir / name
            if target.is_dir():
                shutil.rmtree(target)
            elif target.exists():
                target.unlink()
    elif config_path.exists():
        old = read_config_file(config_path)
        if old.get("task") != cfg.task:
            raise UserError(
                f"{workdir} holds a {old.get('task')} run; choose another --workdir for {cfg.task}"
            )
        if (workdir / "metrics.json").exists():
            raise UserError(
                f"{workdir} already holds a finished run; pass --force to replace it "
                "or choose another --workdir"
            )
        if old != json.loads(json.dumps(cfg.to_dict())):
            raise UserError(
                f"{workdir} holds an unfinished run with a different config; pass --force "
                "to start over or repeat the original command to resume it"
            )
        return True
    workdir.mkdir(parents=True, exist_ok=True)
    write_json(config_path, cfg.to_dict())
    return False


def distributed_dataset(strategy: tf.distribute.Strategy, task, cfg: TaskConfig, split: str):
    """The split, built once per input pipeline with its ``InputContext``."""
    return strategy.distribute_datasets_from_function(
        lambda context: task.build_dataset(cfg, split, context)
    )


class _ResumeBookkeeping(keras.callbacks.Callback):
    """Keeps ``history.csv`` and the best checkpoint right across a kill and resume.

    Runs before ``BackupAndRestore`` restores the weights: history rows of epochs the
    backup does not hold are dropped (those epochs run again and log again), and the best
    checkpoint starts from the best value logged so far instead of from scratch, so a
    resumed run cannot replace ``best.weights.h5`` with a worse epoch.
    """

    def __init__(self, workdir: Path, checkpoint: keras.callbacks.ModelCheckpoint):
        super().__init__()
        self.workdir, self.checkpoint = workdir, checkpoint

    def on_train_begin(self, logs=None):
        history = self.workdir / "history.csv"
        if not history.exists():
            return
        meta = self.workdir / "backup" / "training_metadata.json"
        done = json.loads(meta.read_text())["epoch"] if meta.exists() else 0
        with open(history, newline="") as handle:
            reader = csv.DictReader(handle)
            fields, rows = reader.fieldnames or [], list(reader)
        kept = [row for row in rows if int(row["epoch"]) < done]
        if len(kept) != len(rows):
            partial = history.with_suffix(".tmp")
            with open(partial, "w", newline="") as handle:
                writer = csv.DictWriter(handle, fieldnames=fields)
                writer.writeheader()
                writer.writerows(kept)
            os.replace(partial, history)
        monitor = self.checkpoint.monitor
        values = [float(row[monitor]) for row in kept if row.get(monitor)]
        if values:
            self.checkpoint.best = max(values) if self.checkpoint.mode == "max" else min(values)


class _AveragedCheckpoint(keras.callbacks.ModelCheckpoint):
    """The best checkpoint of a run with weight averaging (``train.ema``): it saves the
    averaged weights, the ones validation scored (``SwapEMAWeights`` swaps them in for
    validation only). They are swapped back before the backup, which must hold the raw
    weights and the averages in their own places for a resumed run to go on right."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.swap = keras.callbacks.SwapEMAWeights()

    def set_model(self, model):
        super().set_model(model)
        self.swap.set_model(model)

    def on_epoch_end(self, epoch, logs=None):
        self.swap.on_test_begin()  # averaged weights in
        try:
            super().on_epoch_end(epoch, logs)
        finally:
            self.swap.on_test_end()  # raw weights back


def _callbacks(
    workdir: Path, monitor: tuple[str, str], ema: bool = False
) -> list[keras.callbacks.Callback]:
    """The driver's callbacks. Epoch-end order matters for a kill: the history row and
    the best checkpoint are written before the backup, so a kill between them reruns the
    epoch (its row is then replaced) rather than losing its row. With weight averaging
    (``ema``) validation and the best checkpoint use the averaged weights."""
    (workdir / "checkpoints").mkdir(exist_ok=True)
    checkpoint = (_AveragedCheckpoint if ema else keras.callbacks.ModelCheckpoint)(
        str(workdir / "checkpoints" / "best.weights.h5"),
        monitor=monitor[0],
        mode=monitor[1],
        save_best_only=True,
        save_weights_only=True,
    )
    averaging = [keras.callbacks.SwapEMAWeights()] if ema else []
    return averaging + [
        _ResumeBookkeeping(workdir, checkpoint),
        keras.callbacks.CSVLogger(str(workdir / "history.csv"), append=True),
        checkpoint,
        keras.callbacks.TensorBoard(str(workdir / "tensorboard"), write_graph=False),
        keras.callbacks.TerminateOnNaN(),
        keras.callbacks.BackupAndRestore(str(workdir / "backup"), double_checkpoint=True),
    ]


def train(task, cfg: TaskConfig, workdir: Path, force: bool = False, verbose: int | None = None):
    """Train ``cfg`` in ``workdir``, evaluate on the test split against the baseline, and
    write every artifact. Returns ``(model, metrics)``.

    Under ``multi_worker`` every worker trains; the chief writes the run directory, the
    others keep their backups and checkpoints in ``workdir/workers/<index>/`` (needed to
    resume) and return ``metrics`` without a ``test`` entry.
    """
    workdir = Path(workdir)
    # The strategy comes first: a multi-worker strategy must exist before TF runs ops.
    strategy = make_strategy(cfg.runtime)
    chief = is_chief(strategy)
    own_dir = workdir if chief else workdir / "workers" / str(strategy.cluster_resolver.task_id)
    resumed = prepare_workdir(own_dir, cfg, force)
    model = model_in_scope(task, cfg, strategy)
    train_data = distributed_dataset(strategy, task, cfg, "train")
    val_data = distributed_dataset(strategy, task, cfg, "val")
    if verbose is None:
        verbose = 1 if sys.stdout.isatty() else 2
    started = time.perf_counter()
    history = model.fit(
        train_data,
        epochs=cfg.train.epochs,
        steps_per_epoch=cfg.train.steps_per_epoch,
        validation_data=val_data,
        validation_steps=cfg.train.validation_steps or None,
        callbacks=_callbacks(own_dir, task.monitor_for(cfg), bool(cfg.train.ema))
        + task.extra_callbacks(cfg),
        verbose=verbose,
    )
    train_seconds = time.perf_counter() - started
    epochs_run = len(history.history.get("loss", []))
    best = own_dir / "checkpoints" / "best.weights.h5"
    if best.exists():
        model.load_weights(str(best))
    metrics = {
        "task": cfg.task,
        "model_name": cfg.model.name,
        "preset": cfg.preset,
        "chief": chief,
        "train_seconds": round(train_seconds, 2),
        "train_samples_per_second": round(
            epochs_run * cfg.train.steps_per_epoch * cfg.train.batch_size / train_seconds, 2
        ),
        "epochs": _epochs_logged(own_dir),
        "resumed": resumed,
        "replicas": strategy.num_replicas_in_sync,
        "mixed_precision": cfg.runtime.mixed_precision,
        "machine": machine_summary(),
    }
    if not chief:
        return model, metrics
    model.save(str(workdir / "model.keras"))
    metrics.update(task.evaluate_all(model, cfg))
    metrics["data"] = task.describe_data(cfg)
    metrics["samples"] = [
        str(p.relative_to(workdir)) for p in task.write_samples(model, cfg, workdir / "samples")
    ]
    write_json(workdir / "metrics.json", metrics)
    return model, metrics


def model_in_scope(task, cfg: TaskConfig, strategy: tf.distribute.Strategy) -> keras.Model:
    """The task's compiled model, seeded, in the config's precision, built in the
    strategy's scope (and built before ``fit`` where Keras needs that, see keras_compat)."""
    keras.utils.set_random_seed(cfg.train.seed)
    set_precision(cfg.runtime)
    with strategy.scope():
        model = task.build_model(cfg)
        if isinstance(strategy, tf.distribute.MultiWorkerMirroredStrategy):
            keras_compat.build_before_fit(model, task.build_dataset(cfg, "train").element_spec)
    return model


def _epochs_logged(workdir: Path) -> int:
    path = workdir / "history.csv"
    if not path.exists():
        return 0
    with open(path) as handle:
        return sum(1 for _ in csv.DictReader(handle))


def machine_summary() -> str:
    gpus = [d.name for d in tf.config.list_logical_devices("GPU")]
    cpus = len(os.sched_getaffinity(0))
    return f"{platform.machine()} {cpus} CPU cores" + (f", {len(gpus)} GPU" if gpus else ", no GPU")
