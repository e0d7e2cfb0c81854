"""Throughput measurements shared by every task's ``bench`` and the benchmarks: training
samples/s through ``fit`` under a strategy, of one batch, scaling efficiency, the input
pipeline against the training step, and inference images/s."""

from __future__ import annotations

import copy
import time
from typing import Any

import keras
import tensorflow as tf

from deeptasks.common.distribute import make_strategy
from deeptasks.common.training import distributed_dataset, model_in_scope
from deeptasks.config import TaskConfig


class _EpochTimer(keras.callbacks.Callback):
    def on_epoch_begin(self, epoch, logs=None):
        self.started = time.perf_counter()

    def on_epoch_end(self, epoch, logs=None):
        self.seconds = time.perf_counter() - self.started


def fit_throughput(task, cfg: TaskConfig, steps: int) -> tuple[float, int]:
    """Training samples/s of ``cfg`` under its ``runtime`` strategy, through ``fit`` and
    the distributed input pipeline: one untimed epoch of ``steps`` (tracing, pipeline
    warm-up), then one timed. Also the number of replicas it ran on."""
    strategy = make_strategy(cfg.runtime)
    model = model_in_scope(task, cfg, strategy)
    timer = _EpochTimer()
    model.fit(
        distributed_dataset(strategy, task, cfg, "train"),
        epochs=2,
        steps_per_epoch=steps,
        callbacks=[timer],
        verbose=0,
    )
    return steps * cfg.train.batch_size / timer.seconds, strategy.num_replicas_in_sync


def one_batch_throughput(task, cfg: TaskConfig, batch, steps: int) -> float:
    """Training samples/s of ``train_on_batch`` on one ``batch``, repeated ``steps`` times
    after 3 untimed steps (tracing): the model's own speed, without the input pipeline."""
    model = model_in_scope(task, cfg, make_strategy(cfg.runtime))
    for _ in range(3):
        model.train_on_batch(*batch)
    started = time.perf_counter()
    for _ in range(steps):
        model.train_on_batch(*batch)
    return steps * cfg.train.batch_size / (time.perf_counter() - started)


def scaling(task, cfg: TaskConfig, steps: int = 20) -> dict[str, Any]:
    """Samples/s per replica under ``cfg.runtime`` and the scaling efficiency against
    one replica with the same per-replica batch (weak scaling: 1.0 = linear)."""
    many, replicas = fit_throughput(task, cfg, steps)
    single = copy.deepcopy(cfg)
    single.runtime.strategy, single.runtime.devices = "default", ()
    single.train.batch_size = max(cfg.train.batch_size // replicas, 1)
    one, _ = fit_throughput(task, single, steps)
    return {
        "replicas": replicas,
        "samples_per_s": round(many, 1),
        "samples_per_s_per_replica": round(many / replicas, 1),
        "one_replica_samples_per_s": round(one, 1),
        "scaling_efficiency": round(many / (replicas * one), 3),
    }


def inference_rate(run, inputs) -> dict[str, float]:
    """Images/s of ``run(inputs)`` on one batch, timed after a first (tracing) call."""
    run(inputs)
    started = time.perf_counter()
    run(inputs)
    seconds = time.perf_counter() - started
    return {
        "inference_images_per_s": round(len(inputs) / seconds, 2),
        "inference_batch": len(inputs),
    }


def training_throughput(
    model: keras.Model, train: tf.data.Dataset, batch_size: int, warmup: int, batches: int
) -> dict[str, float]:
    """Patches/s of the training pipeline alone and of a training step on one batch
    already in memory, and their ratio (> 1: the pipeline is not the bottleneck).

    ``warmup`` batches are drawn first, untimed: enough for one pass over the images,
    whose decoding and resizing into the cache training pays once, not per step.
    """
    iterator = iter(train)
    for _ in range(warmup):
        next(iterator)
    started = time.perf_counter()
    for _ in range(batches):
        x, y = next(iterator)
    pipeline = batches * batch_size / (time.perf_counter() - started)
    # Steps through fit, as training runs them (keras-hub models refuse dict targets in
    # train_on_batch); the first epoch traces, the second is timed.
    timer = _EpochTimer()
    model.fit(
        tf.data.Dataset.from_tensors((x, y)).repeat(),
        epochs=2,
        steps_per_epoch=batches,
        callbacks=[timer],
        verbose=0,
    )
    step = batches * batch_size / timer.seconds
    return {
        "pipeline_patches_per_s": round(pipeline, 1),
        "train_step_patches_per_s": round(step, 1),
        "pipeline_headroom": round(pipeline / step, 2),
    }
