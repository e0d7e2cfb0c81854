"""What the translators are trained on: label-smoothed cross-entropy over real target
tokens, and a warm-up learning-rate schedule."""

from __future__ import annotations

import math

import keras
from keras import ops

from deeptasks.common.seq2seq.layers import PACKAGE
from deeptasks.common.training import make_optimizer


@keras.saving.register_keras_serializable(package=PACKAGE)
class SmoothedSparseCrossentropy(keras.losses.Loss):
    """Cross-entropy against ``(1 - ε) one_hot(y) + ε / V`` from logits and integer
    labels, without building the one-hot: ``(1 - ε) NLL + ε mean_v(-log p_v)``.
    Padding is left out through the sample weights the data gives (0 on padding), with
    the ``mean_with_sample_weight`` reduction: a mean over real tokens.

    Reference:
        Szegedy et al. Rethinking the Inception Architecture for Computer Vision.
        CVPR 2016 (label smoothing); Vaswani et al. 2017 use ε = 0.1.
    """

    def __init__(self, label_smoothing: float = 0.1, **kwargs):
        kwargs.setdefault("reduction", "mean_with_sample_weight")
        kwargs.setdefault("name", "smoothed_sparse_crossentropy")
        super().__init__(**kwargs)
        self.label_smoothing = label_smoothing

    def call(self, y_true, y_pred):
        log_probs = ops.log_softmax(ops.cast(y_pred, "float32"), axis=-1)
        labels = ops.expand_dims(ops.cast(y_true, "int32"), -1)
        nll = -ops.squeeze(ops.take_along_axis(log_probs, labels, axis=-1), -1)
        uniform = -ops.mean(log_probs, axis=-1)
        return (1.0 - self.label_smoothing) * nll + self.label_smoothing * uniform

    def get_config(self):
        return {**super().get_config(), "label_smoothing": self.label_smoothing}


@keras.saving.register_keras_serializable(package=PACKAGE)
class WarmupCosineDecay(keras.optimizers.schedules.LearningRateSchedule):
    """Linear warm-up from 0 to ``peak`` over ``warmup_steps``, then cosine decay to
    ``peak * alpha`` at ``total_steps`` (Transformers diverge without a warm-up).

    Reference:
        Vaswani et al. Attention Is All You Need. NeurIPS 2017 (warm-up);
        Loshchilov and Hutter. SGDR. ICLR 2017 (cosine decay).
    """

    def __init__(self, peak: float, warmup_steps: int, total_steps: int, alpha: float = 0.02):
        self.peak, self.warmup_steps = peak, warmup_steps
        self.total_steps, self.alpha = total_steps, alpha

    def __call__(self, step):
        step = ops.cast(step, "float32")
        warmup = max(self.warmup_steps, 1)
        rising = self.peak * (step + 1.0) / warmup
        progress = ops.clip((step - warmup) / max(self.total_steps - warmup, 1), 0.0, 1.0)
        cosine = 0.5 * (1.0 + ops.cos(math.pi * progress))
        falling = self.peak * (self.alpha + (1.0 - self.alpha) * cosine)
        return ops.where(step < warmup, rising, falling)

    def get_config(self):
        return {
            "peak": self.peak,
            "warmup_steps": self.warmup_steps,
            "total_steps": self.total_steps,
            "alpha": self.alpha,
        }


def compile_seq2seq(model: keras.Model, cfg) -> None:
    """Label-smoothed cross-entropy over real target tokens, Adam with warm-up then
    cosine decay (and ``train.ema`` weight averaging); token accuracy (padding left out
    through the sample weights)."""
    t = cfg.train
    schedule = WarmupCosineDecay(
        t.learning_rate, cfg.model.warmup_steps, t.epochs * t.steps_per_epoch
    )
    model.compile(
        optimizer=make_optimizer(t, schedule=schedule, beta_2=0.98),
        loss=SmoothedSparseCrossentropy(cfg.model.label_smoothing),
        weighted_metrics=[keras.metrics.SparseCategoricalAccuracy(name="token_accuracy")],
        jit_compile=cfg.runtime.jit_compile,
    )
