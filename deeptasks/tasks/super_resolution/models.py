"""Super-resolution models, built from shared blocks.

Two input conventions (``ModelSpec.extra["input"]``):

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
from deeptasks.config import TaskConfig
from deeptasks.tasks.base import ModelSpec


def _input() -> keras.KerasTensor:
    return keras.Input(shape=(None, None, 3), name="image")


def srcnn(cfg: TaskConfig) -> keras.Model:
    """SRCNN 9-1-5 (Dong et al., ECCV 2014 / TPAMI 2016): patch extraction, non-linear
    mapping and reconstruction on the bicubic-upsampled image."""
    n1 = cfg.model.filters or 64
    inputs = _input()
    x = keras.layers.Conv2D(n1, 9, padding="same", activation="relu", name="extract")(inputs)
    x = keras.layers.Conv2D(n1 // 2, 1, padding="same", activation="relu", name="map")(x)
    outputs = keras.layers.Conv2D(3, 5, padding="same", name="reconstruct", dtype="float32")(x)
    return keras.Model(inputs, outputs, name="srcnn")


def vdsr(cfg: TaskConfig) -> keras.Model:
    """VDSR (Kim et al., CVPR 2016): 20 3x3 conv layers learning the residual between the
    bicubic upscale and the original; trained on several scales at once."""
    filters, depth = cfg.model.filters or 64, cfg.model.depth or 20
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


def espcn(cfg: TaskConfig) -> keras.Model:
    """ESPCN (Shi et al., CVPR 2016): three convolutions in LR space (tanh), then a
    sub-pixel convolution to the HR grid."""
    scale, filters = cfg.data.scale, cfg.model.filters or 64
    inputs = _input()
    x = keras.layers.Conv2D(filters, 5, padding="same", activation="tanh", name="conv1")(inputs)
    x = keras.layers.Conv2D(filters // 2, 3, padding="same", activation="tanh", name="conv2")(x)
    x = subpixel_upsampler(x, 3, scale, name="subpixel")
    outputs = keras.layers.Activation("linear", name="output", dtype="float32")(x)
    return keras.Model(inputs, outputs, name="espcn")


def edsr(cfg: TaskConfig) -> keras.Model:
    """EDSR-baseline (Lim et al., CVPRW 2017): head conv, 16 residual blocks of 64
    channels without batch norm, a global skip, and a pixel-shuffle upsampler."""
    scale = cfg.data.scale
    filters, depth = cfg.model.filters or 64, cfg.model.depth or 16
    inputs = _input()
    centred = keras.layers.Rescaling(1.0, offset=-0.5, name="centre")(inputs)
    head = keras.layers.Conv2D(filters, 3, padding="same", name="head")(centred)
    x = head
    for index in range(depth):
        x = ResidualBlock(filters, res_scale=cfg.model.res_scale, name=f"block{index}")(x)
    x = keras.layers.Conv2D(filters, 3, padding="same", name="body_end")(x)
    x = keras.layers.Add(name="global_skip")([head, x])
    x = subpixel_upsampler(x, filters, scale, name="upsample")
    x = keras.layers.Conv2D(3, 3, padding="same", name="tail")(x)
    outputs = keras.layers.Rescaling(1.0, offset=0.5, name="uncentre", dtype="float32")(x)
    return keras.Model(inputs, outputs, name="edsr")


MODELS = {
    spec.name: spec
    for spec in (
        ModelSpec("srcnn", srcnn, "SRCNN 9-1-5 on the bicubic upscale", {"input": "upsampled"}),
        ModelSpec(
            "vdsr",
            vdsr,
            "VDSR: 20 layers, global residual, multi-scale",
            {"input": "upsampled", "train_scales": (2, 3, 4)},
        ),
        ModelSpec("espcn", espcn, "ESPCN: sub-pixel convolution", {"input": "lr"}),
        ModelSpec("edsr", edsr, "EDSR-baseline: residual blocks, pixel shuffle", {"input": "lr"}),
    )
}
