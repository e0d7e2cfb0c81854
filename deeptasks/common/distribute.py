"""Choosing the ``tf.distribute`` strategy a run uses, from ``cfg.runtime``."""

from __future__ import annotations

import keras
import tensorflow as tf

from deeptasks.config import RuntimeConfig
from deeptasks.errors import UserError


def make_strategy(runtime: RuntimeConfig) -> tf.distribute.Strategy:
    """``auto``: Mirrored over all local GPUs when there are several, else the default.

    ``default``: the current (no-op) strategy; ``one_device``: the first listed device or
    the first GPU/CPU; ``mirrored``: the listed devices, or every local GPU.
    """
    gpus = tf.config.list_logical_devices("GPU")
    name = runtime.strategy
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


def set_precision(runtime: RuntimeConfig) -> None:
    """Set the global Keras dtype policy; float16 only makes sense on a GPU."""
    if runtime.mixed_precision == "mixed_float16" and not tf.config.list_logical_devices("GPU"):
        raise UserError(
            "runtime.mixed_precision=mixed_float16 needs a GPU; "
            "use mixed_bfloat16 or float32 on CPU"
        )
    keras.mixed_precision.set_global_policy(runtime.mixed_precision)
