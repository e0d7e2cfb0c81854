"""Denoising models: DnCNN (residual learning) and CBDNet (noise estimation + U-Net).

Both take a noisy ``[B, H, W, C]`` image in [0, 1] (C = 1 grey, 3 colour; the task's one
fact, ``channels``). DnCNN returns the clean estimate ``y - R(y)``; CBDNet returns
``{"denoised": ..., "noise_map": ...}`` and owns its loss (reconstruction + asymmetric +
total-variation terms on the map) and its monitored metric.
"""

from __future__ import annotations

from typing import Any

import keras
from keras import layers, ops

from deeptasks.common.losses import NoiseMapLoss, half_sum_squared_error
from deeptasks.common.metrics.image import psnr
from deeptasks.common.training import make_optimizer
from deeptasks.errors import UserError
from deeptasks.tasks.base import ModelSpec, model_spec
from deeptasks.tasks.denoising.config import ModelConfig

LOSSES = {
    "default": half_sum_squared_error,
    "half_sse": half_sum_squared_error,
    "l2": "mean_squared_error",
    "l1": "mean_absolute_error",
}


@keras.saving.register_keras_serializable(package="deeptasks")
class NoiseLevelControl(keras.layers.Layer):
    """The noise-level map handed to a non-blind denoiser, under the user's control.

    By default it passes the estimated map through. Setting ``scale`` multiplies it
    (CBDNet's interactive denoising: > 1 removes more noise, < 1 keeps more detail);
    setting ``level`` >= 0 replaces it by a uniform map of that level (a known noise
    level, on the [0, 1] scale). Both are non-trainable weights, so they can be changed
    between calls of a built model.

    Example:
        >>> control = NoiseLevelControl()
        >>> control.scale.assign(1.5)
    """

    def build(self, input_shape):
        self.scale = self.add_weight(
            shape=(), initializer=keras.initializers.Constant(1.0), trainable=False, name="scale"
        )
        self.level = self.add_weight(
            shape=(), initializer=keras.initializers.Constant(-1.0), trainable=False, name="level"
        )

    def call(self, estimate):
        uniform = ops.ones_like(estimate) * self.level
        return ops.where(self.level >= 0, uniform, estimate * self.scale)


# DnCNN's initialisation (its MatConvNet code): He-normal kernels, and BN scales drawn
# small around zero, so the residual branch starts near zero. BN statistics follow the
# data quickly (momentum 0.9, not Keras' 0.99): short CPU runs would otherwise validate
# with moving variances still dominated by their initial value of 1 and learn nothing.
BN_SCALE_STD = (2.0 / (9 * 64)) ** 0.5
BN_MOMENTUM = 0.9


def _conv(filters: int, name: str, activation: str | None = "relu", **kwargs) -> layers.Conv2D:
    return layers.Conv2D(
        filters,
        3,
        padding="same",
        activation=activation,
        kernel_initializer="he_normal",
        name=name,
        **kwargs,
    )


def dncnn(model: ModelConfig, channels: int) -> keras.Model:
    """DnCNN: Conv+ReLU, (Conv+BN+ReLU) x (depth - 2), Conv; output ``y - R(y)``.

    Reference:
        Zhang et al., "Beyond a Gaussian Denoiser: Residual Learning of Deep CNN for Image
        Denoising", TIP 2017.
    """
    depth, filters = model.depth, model.filters
    noisy = keras.Input((None, None, channels), name="noisy")
    x = _conv(filters, "conv1")(noisy)
    for index in range(2, depth):
        x = _conv(filters, f"conv{index}", activation=None, use_bias=False)(x)
        x = layers.BatchNormalization(
            momentum=BN_MOMENTUM,
            gamma_initializer=keras.initializers.RandomNormal(0.0, BN_SCALE_STD),
            name=f"bn{index}",
        )(x)
        x = layers.ReLU(name=f"relu{index}")(x)
    residual = _conv(channels, f"conv{depth}", activation=None)(x)  # the noise estimate
    clean = layers.Subtract(name="denoised", dtype="float32")([noisy, residual])
    return keras.Model(noisy, clean, name="dncnn")


def _stage(x, filters: int, count: int, name: str):
    for index in range(count):
        x = _conv(filters, f"{name}_conv{index + 1}")(x)
    return x


def cbdnet(model: ModelConfig, channels: int) -> keras.Model:
    """CBDNet: a 5-layer noise estimation subnet CNN_E -> noise-level map; a U-Net CNN_D
    (2-3-6-3-2 convolutions on three scales, average-pool down, transposed-conv up,
    additive skips) on ``[noisy, map]`` that learns the residual.

    Reference:
        Guo et al., "Toward Convolutional Blind Denoising of Real Photographs", CVPR 2019.
    """
    width, count = model.filters, channels
    noisy = keras.Input((None, None, count), name="noisy")
    x = _stage(noisy, model.estimator_filters, model.estimator_depth - 1, "estimate")
    estimate = _conv(count, "noise_map", activation="relu")(x)
    level = NoiseLevelControl(name="noise_control")(estimate)
    x = layers.Concatenate(name="with_map")([noisy, level])
    skip1 = _stage(x, width, 2, "down1")
    x = layers.AveragePooling2D(2, name="pool1")(skip1)
    skip2 = _stage(x, 2 * width, 3, "down2")
    x = layers.AveragePooling2D(2, name="pool2")(skip2)
    x = _stage(x, 4 * width, 6, "bottom")
    x = layers.Conv2DTranspose(2 * width, 2, strides=2, name="up2")(x)
    x = _stage(layers.Add(name="skip2")([x, skip2]), 2 * width, 3, "up2")
    x = layers.Conv2DTranspose(width, 2, strides=2, name="up1")(x)
    x = _stage(layers.Add(name="skip1")([x, skip1]), width, 2, "up1")
    residual = _conv(count, "residual", activation=None)(x)
    clean = layers.Add(name="denoised", dtype="float32")([noisy, residual])
    noise_map = layers.Identity(name="noise_map_out", dtype="float32")(estimate)
    return keras.Model(noisy, {"denoised": clean, "noise_map": noise_map}, name="cbdnet")


def check_loss(cfg) -> None:
    if cfg.train.loss not in LOSSES:
        raise UserError(f"train.loss must be one of {', '.join(LOSSES)}; got '{cfg.train.loss}'")


def cbdnet_loss(cfg) -> dict[str, Any]:
    """CBDNet's objective: L_rec + lambda_asymm * L_asymm + lambda_TV * L_TV, and PSNR of
    its denoised output."""
    reconstruction = "mean_squared_error" if cfg.train.loss == "default" else cfg.train.loss
    return {
        "loss": {
            "denoised": LOSSES.get(reconstruction, reconstruction),
            "noise_map": NoiseMapLoss(
                cfg.model.asymmetric_alpha, cfg.model.asymmetric_weight, cfg.model.tv_weight
            ),
        },
        "metrics": {"denoised": [psnr]},
    }


def compile_model(model: keras.Model, cfg) -> None:
    """The model's own objective where it has one (CBDNet), else ``train.loss`` (DnCNN's
    half sum of squared errors by default) and PSNR."""
    check_loss(cfg)
    own = model_spec(cfg).loss
    objective = own(cfg) if own else {"loss": LOSSES[cfg.train.loss], "metrics": [psnr]}
    model.compile(
        optimizer=make_optimizer(cfg.train), jit_compile=cfg.runtime.jit_compile, **objective
    )


# CBDNet's tiling needs: the pixels around a tile for seamless tiled inference (its
# convolutions at 1/2 and 1/4 resolution see 2x and 4x further than receptive_radius()
# counts), and the multiple of which its input sides must be (two 2x poolings).
MODELS = {
    "dncnn": ModelSpec(
        "dncnn",
        dncnn,
        "DnCNN (Zhang 2017): 17 conv layers with BN, residual learning; fixed-sigma or blind",
        extra={"outputs": "image"},
    ),
    "cbdnet": ModelSpec(
        "cbdnet",
        cbdnet,
        "CBDNet (Guo 2019): noise-map estimation + non-blind U-Net; asymmetric + TV loss",
        loss=cbdnet_loss,
        monitor=("val_denoised_psnr", "max"),
        extra={
            "outputs": "dict",
            "estimates_noise": True,
            "tile_margin": 64,
            "size_multiple": 4,
        },
    ),
}
