"""Sub-pixel convolution's rearrangement step."""

from __future__ import annotations

import keras
from keras import ops


@keras.saving.register_keras_serializable(package="deeptasks")
class PixelShuffle(keras.layers.Layer):
    """Rearranges ``[B, H, W, C*r*r]`` into ``[B, H*r, W*r, C]`` (depth-to-space).

    The channel order matches ``tf.nn.depth_to_space``: channel ``(i*r + j)*C + c`` of
    input pixel ``(y, x)`` becomes channel ``c`` of output pixel ``(y*r + i, x*r + j)``.

    Args:
        scale: the upscaling factor ``r``.
        **kwargs: passed to ``keras.layers.Layer``.

    Example:
        >>> PixelShuffle(3)(keras.ops.zeros((1, 8, 8, 27))).shape
        (1, 24, 24, 3)

    Reference:
        Shi et al., "Real-Time Single Image and Video Super-Resolution Using an
        Efficient Sub-Pixel Convolutional Neural Network", CVPR 2016.
    """

    def __init__(self, scale: int, **kwargs):
        super().__init__(**kwargs)
        self.scale = int(scale)

    def call(self, inputs):
        r = self.scale
        shape = ops.shape(inputs)
        batch, height, width, depth = shape[0], shape[1], shape[2], inputs.shape[-1]
        channels = depth // (r * r)
        x = ops.reshape(inputs, (batch, height, width, r, r, channels))
        x = ops.transpose(x, (0, 1, 3, 2, 4, 5))
        return ops.reshape(x, (batch, height * r, width * r, channels))

    def compute_output_shape(self, input_shape):
        batch, height, width, depth = input_shape
        r = self.scale
        return (
            batch,
            None if height is None else height * r,
            None if width is None else width * r,
            depth // (r * r),
        )

    def get_config(self):
        return {**super().get_config(), "scale": self.scale}
