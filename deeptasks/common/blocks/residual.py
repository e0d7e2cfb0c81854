"""Residual blocks without batch normalisation."""

from __future__ import annotations

import keras


@keras.saving.register_keras_serializable(package="deeptasks")
class ResidualBlock(keras.layers.Layer):
    """``x + res_scale * conv(relu(conv(x)))``, with no batch normalisation.

    Dropping BN keeps the range of features (it matters for pixel-level outputs) and
    saves memory; ``res_scale`` < 1 steadies training of very wide stacks.

    Args:
        filters: channels of both convolutions (must equal the input's channels).
        kernel_size: side of the square kernels.
        res_scale: factor applied to the residual branch before the addition.
        **kwargs: passed to ``keras.layers.Layer``.

    Example:
        >>> ResidualBlock(16)(keras.ops.zeros((1, 8, 8, 16))).shape
        (1, 8, 8, 16)

    Reference:
        Lim et al., "Enhanced Deep Residual Networks for Single Image
        Super-Resolution", CVPRW 2017.
    """

    def __init__(self, filters: int, kernel_size: int = 3, res_scale: float = 1.0, **kwargs):
        super().__init__(**kwargs)
        self.filters = int(filters)
        self.kernel_size = int(kernel_size)
        self.res_scale = float(res_scale)
        self.conv1 = keras.layers.Conv2D(
            self.filters, self.kernel_size, padding="same", activation="relu", name="conv1"
        )
        self.conv2 = keras.layers.Conv2D(
            self.filters, self.kernel_size, padding="same", name="conv2"
        )

    def build(self, input_shape):
        self.conv1.build(input_shape)
        self.conv2.build(tuple(input_shape[:-1]) + (self.filters,))
        super().build(input_shape)

    def call(self, inputs):
        residual = self.conv2(self.conv1(inputs))
        return inputs + self.res_scale * residual

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        return {
            **super().get_config(),
            "filters": self.filters,
            "kernel_size": self.kernel_size,
            "res_scale": self.res_scale,
        }
