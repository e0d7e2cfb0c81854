"""Super-resolution models, built from shared blocks.

Each builder takes the model's config and the task's one fact, ``scale``. Two input
conventions (``ModelSpec.extra["input"]``, read by the data pipeline and inference):

* ``"upsampled"``: the model takes the bicubic-upscaled image and refines it on the HR
  grid (SRCNN, VDSR); one model can serve several scales.
* ``"lr"``: the model takes the low-resolution image and learns the upscaling
  (ESPCN, EDSR); one model per scale.

Every model maps [0, 1] RGB to [0, 1] RGB and accepts any image size. The output layer
is float32 under a mixed-precision policy, so the loss and metrics are computed in float32.
"""

from __future__ import annotations

import keras

from deeptasks.common.blocks.residual import ResidualBlock
from deeptasks.common.blocks.upsampler import subpixel_upsampler
from deeptasks.common.metrics.image import psnr
from deeptasks.common.training import make_optimizer
from deeptasks.errors import UserError
from deeptasks.tasks.base import ModelSpec
from deeptasks.tasks.super_resolution.config import ModelConfig

LOSSES = {"default": "mean_absolute_error", "l1": "mean_absolute_error", "l2": "mean_squared_error"}


def _input() -> keras.KerasTensor:
    return keras.Input(shape=(None, None, 3), name="image")


def srcnn(model: ModelConfig, scale: int) -> keras.Model:
    """SRCNN 9-1-5 (Dong et al., ECCV 2014 / TPAMI 2016): patch extraction, non-linear
    mapping and reconstruction on the bicubic-upsampled image."""
    n1 = model.filters or 64
    inputs = _input()
    x = keras.layers.Conv2D(n1, 9, padding="same", activation="relu", name="extract")(inputs)
    x = keras.layers.Conv2D(n1 // 2, 1, padding="same", activation="relu", name="map")(x)
    outputs = keras.layers.Conv2D(3, 5, padding="same", name="reconstruct", dtype="float32")(x)
    return keras.Model(inputs, outputs, name="srcnn")


def vdsr(model: ModelConfig, scale: int) -> keras.Model:
    """VDSR (Kim et al., CVPR 2016): 20 3x3 conv layers learning the residual between the
    bicubic upscale and the original; trained on several scales at once."""
    filters, depth = model.filters or 64, model.depth or 20
    inputs = _input()
    x = inputs
    for index in range(depth - 1):
        x = keras.layers.Conv2D(
            filters,
            3,
            padding="same",
            activation="relu",
            name=f"conv{index}",
            kernel_initializer="he_normal",
        )(x)
    residual = keras.layers.Conv2D(3, 3, padding="same", name="residual")(x)
    outputs = keras.layers.Add(name="global_residual", dtype="float32")([inputs, residual])
    return keras.Model(inputs, outputs, name="vdsr")


def espcn(model: ModelConfig, scale: int) -> keras.Model:
    """ESPCN (Shi et al., CVPR 2016): three convolutions in LR space (tanh), then a
    sub-pixel convolution to the HR grid."""
    filters = model.filters or 64
    inputs = _input()
    x = keras.layers.Conv2D(filters, 5, padding="same", activation="tanh", name="conv1")(inputs)
    x = keras.layers.Conv2D(filters // 2, 3, padding="same", activation="tanh", name="conv2")(x)
    x = subpixel_upsampler(x, 3, scale, name="subpixel")
    outputs = keras.layers.Activation("linear", name="output", dtype="float32")(x)
    return keras.Model(inputs, outputs, name="espcn")


def edsr(model: ModelConfig, scale: int) -> keras.Model:
    """EDSR-baseline (Lim et al., CVPRW 2017): head conv, 16 residual blocks of 64
    channels without batch norm, a global skip, and a pixel-shuffle upsampler."""
    filters, depth = model.filters or 64, model.depth or 16
    inputs = _input()
    centred = keras.layers.Rescaling(1.0, offset=-0.5, name="centre")(inputs)
    head = keras.layers.Conv2D(filters, 3, padding="same", name="head")(centred)
    x = head
    for index in range(depth):
        x = ResidualBlock(filters, res_scale=model.res_scale, name=f"block{index}")(x)
    x = keras.layers.Conv2D(filters, 3, padding="same", name="body_end")(x)
    x = keras.layers.Add(name="global_skip")([head, x])
    x = subpixel_upsampler(x, filters, scale, name="upsample")
    x = keras.layers.Conv2D(3, 3, padding="same", name="tail")(x)
    outputs = keras.layers.Rescaling(1.0, offset=0.5, name="uncentre", dtype="float32")(x)
    return keras.Model(inputs, outputs, name="edsr")


def compile_model(model: keras.Model, cfg) -> None:
    """L1 (EDSR's choice; ``train.loss=l2`` for SRCNN's) and RGB PSNR as the metric."""
    if cfg.train.loss not in LOSSES:
        raise UserError(f"train.loss must be one of {', '.join(LOSSES)}; got '{cfg.train.loss}'")
    model.compile(
        optimizer=make_optimizer(cfg.train),
        loss=LOSSES[cfg.train.loss],
        metrics=[psnr],
        jit_compile=cfg.runtime.jit_compile,
    )


MODELS = {
    spec.name: spec
    for spec in (
        ModelSpec(
            "srcnn", srcnn, "SRCNN 9-1-5 on the bicubic upscale", extra={"input": "upsampled"}
        ),
        ModelSpec(
            "vdsr",
            vdsr,
            "VDSR: 20 layers, global residual, multi-scale",
            extra={"input": "upsampled", "train_scales": (2, 3, 4)},
        ),
        ModelSpec("espcn", espcn, "ESPCN: sub-pixel convolution", extra={"input": "lr"}),
        ModelSpec(
            "edsr", edsr, "EDSR-baseline: residual blocks, pixel shuffle", extra={"input": "lr"}
        ),
    )
}
