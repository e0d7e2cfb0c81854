"""Work-arounds for Keras 3 under ``MultiWorkerMirroredStrategy``.

Keras 3's TensorFlow trainer does not finish ``fit`` under MultiWorkerMirroredStrategy
(keras-team/keras#20585, open for Keras 3.5-3.15):

1. ``fit`` builds the loss and metrics by all-reducing a peeked batch, which fails for
   an ``(x, y)`` structure;
2. every step all-reduces the scalar logs with ``axis=0``, which fails for a scalar.

The strategy itself (the existing engine for scaling out) works; these two pieces of
glue are all that is replaced, and only on a multi-worker run.
"""

from __future__ import annotations

import keras
import tensorflow as tf

try:  # private module: the work-around is skipped if a Keras release moves it
    from keras.src.backend.tensorflow import trainer as _tf_trainer
except ImportError:  # pragma: no cover
    _tf_trainer = None


def build_before_fit(model: keras.Model, element_spec) -> None:
    """Build the model, its loss and metrics from the batch shapes (point 1).

    After this ``fit`` has nothing left to build from a peeked batch, so its peek is
    turned off for this model."""
    model._symbolic_build(data_batch=element_spec)
    model._maybe_symbolic_build = lambda iterator=None, data_batch=None: None


def patch_scalar_log_reduction() -> None:
    """Reduce the per-step logs of a multi-worker run over the workers as scalars
    (point 2). Other strategies and reductions go through Keras unchanged."""
    if _tf_trainer is None or getattr(_tf_trainer, "_deeptasks_patched", False):
        return
    original = _tf_trainer.reduce_per_replica

    def reduce_per_replica(values, strategy, reduction):
        if reduction in ("auto", "mean") and _tf_trainer._collective_all_reduce_multi_worker(
            strategy
        ):
            return tf.nest.map_structure(
                lambda value: strategy.reduce("MEAN", value, axis=None), values
            )
        return original(values, strategy, reduction)

    _tf_trainer.reduce_per_replica = reduce_per_replica
    _tf_trainer._deeptasks_patched = True
