"""Choosing the ``tf.distribute`` strategy a run uses, from ``cfg.runtime``, and the
precision policy it trains in."""

from __future__ import annotations

import json
import os

import keras
import tensorflow as tf

from deeptasks.config import RuntimeConfig
from deeptasks.errors import UserError

TF_CONFIG_EXAMPLE = (
    'TF_CONFIG=\'{"cluster": {"worker": ["host1:12345", "host2:12345"]}, '
    '"task": {"type": "worker", "index": 0}}\''
)


def _tpu_present() -> bool:
    return bool(os.environ.get("TPU_NAME")) or bool(tf.config.list_physical_devices("TPU"))


def make_strategy(runtime: RuntimeConfig) -> tf.distribute.Strategy:
    """The strategy named by ``runtime.strategy``.

    ``auto``: a TPU if one is attached, else Mirrored over all local GPUs when there are
    several, else the default. ``default``: the current (no-op) strategy; ``one_device``:
    the first listed device or the first GPU/CPU; ``mirrored``: the listed devices, or
    every local GPU; ``multi_worker``: ``MultiWorkerMirroredStrategy`` over the cluster in
    ``TF_CONFIG``; ``tpu``: ``TPUStrategy`` on ``runtime.tpu``.

    ``multi_worker`` must be created before TensorFlow runs anything, so it is checked
    first, before any device is listed.
    """
    name = runtime.strategy
    if name == "multi_worker":
        return _multi_worker()
    if name == "tpu" or (name == "auto" and _tpu_present()):
        return _tpu(runtime.tpu)
    _split_cpu(runtime.devices)
    gpus = tf.config.list_logical_devices("GPU")
    if name == "auto":
        name = "mirrored" if len(gpus) > 1 else "default"
    if name == "default":
        return tf.distribute.get_strategy()
    if name == "one_device":
        device = runtime.devices[0] if runtime.devices else ("/gpu:0" if gpus else "/cpu:0")
        return tf.distribute.OneDeviceStrategy(device)
    if name == "mirrored":
        devices = list(runtime.devices) or None
        if devices is None and not gpus:
            # MirroredStrategy() on a machine without GPUs mirrors over the one CPU.
            devices = ["/cpu:0"]
        return tf.distribute.MirroredStrategy(devices)
    raise UserError(f"unknown runtime.strategy '{name}'")


def _split_cpu(devices: tuple[str, ...]) -> None:
    """Listed devices ``/cpu:1``, ``/cpu:2``...: split the CPU into that many logical
    devices, so Mirrored can be tried (and tested) on a machine without GPUs."""
    indices = [int(d.rsplit(":", 1)[1]) for d in devices if d.lower().startswith("/cpu:")]
    wanted = max(indices, default=0) + 1
    cpu = tf.config.list_physical_devices("CPU")[0]
    # (listing logical devices would start the runtime and fix their number)
    if wanted <= len(tf.config.get_logical_device_configuration(cpu) or [None]):
        return
    try:
        tf.config.set_logical_device_configuration(
            cpu, [tf.config.LogicalDeviceConfiguration()] * wanted
        )
    except RuntimeError:
        raise UserError(
            f"runtime.devices names /cpu:{wanted - 1} but TensorFlow has already started "
            "with fewer CPU devices; set the devices before anything else runs"
        ) from None


def _multi_worker() -> tf.distribute.Strategy:
    raw = os.environ.get("TF_CONFIG", "")
    try:
        spec = json.loads(raw) if raw else {}
        workers = spec["cluster"]["worker"]
        spec["task"]["index"]
    except (ValueError, KeyError, TypeError):
        raise UserError(
            "runtime.strategy=multi_worker needs TF_CONFIG naming the cluster and this "
            f"worker, e.g. {TF_CONFIG_EXAMPLE}"
        ) from None
    if not isinstance(workers, list) or not workers:
        raise UserError(f"TF_CONFIG lists no workers; e.g. {TF_CONFIG_EXAMPLE}")
    from deeptasks.common.keras_compat import patch_scalar_log_reduction

    patch_scalar_log_reduction()
    try:
        return tf.distribute.MultiWorkerMirroredStrategy()
    except RuntimeError as error:  # TensorFlow already started in this process
        raise UserError(
            f"runtime.strategy=multi_worker must be set up before TensorFlow runs ({error}); "
            "start training in a fresh process"
        ) from None


def _tpu(address: str) -> tf.distribute.Strategy:
    try:
        resolver = tf.distribute.cluster_resolver.TPUClusterResolver(tpu=address or None)
        tf.config.experimental_connect_to_cluster(resolver)
        tf.tpu.experimental.initialize_tpu_system(resolver)
    except (ValueError, RuntimeError, tf.errors.OpError) as error:
        raise UserError(
            f"no TPU found ({str(error).splitlines()[0]}); set runtime.tpu to its name or "
            "address, or use runtime.strategy=auto"
        ) from None
    return tf.distribute.TPUStrategy(resolver)


def is_chief(strategy: tf.distribute.Strategy) -> bool:
    """True for the one worker that writes a run's artifacts (always, on one machine)."""
    resolver = getattr(strategy, "cluster_resolver", None)
    if resolver is None or not isinstance(strategy, tf.distribute.MultiWorkerMirroredStrategy):
        return True
    task_type, task_id = resolver.task_type, resolver.task_id
    if task_type is None or task_type == "chief":
        return True
    has_chief = "chief" in resolver.cluster_spec().as_dict()
    return task_type == "worker" and task_id == 0 and not has_chief


def set_precision(runtime: RuntimeConfig) -> None:
    """Set the global Keras dtype policy; float16 only makes sense on a GPU.

    Models keep their outputs (and so losses, metrics and CTC) in float32.
    """
    if runtime.mixed_precision == "mixed_float16" and not tf.config.list_logical_devices("GPU"):
        raise UserError(
            "runtime.mixed_precision=mixed_float16 needs a GPU; "
            "use mixed_bfloat16 or float32 on CPU"
        )
    keras.mixed_precision.set_global_policy(runtime.mixed_precision)
