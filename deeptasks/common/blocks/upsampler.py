"""Learned upsampling by sub-pixel convolution."""

from __future__ import annotations

import keras

from deeptasks.common.blocks.pixel_shuffle import PixelShuffle


def subpixel_upsampler(x, filters: int, scale: int, name: str = "upsample"):
    """Conv to ``filters * r * r`` channels then :class:`PixelShuffle`; ×4 (and other powers
    of two) as repeated ×2 stages, as EDSR does. Returns the upscaled tensor."""
    if scale in (2, 3):
        stages = [scale]
    elif scale & (scale - 1) == 0 and scale > 1:
        stages = [2] * (scale.bit_length() - 1)
    else:
        raise ValueError(f"sub-pixel upsampler supports scales 2, 3 and powers of two, got {scale}")
    for index, factor in enumerate(stages):
        x = keras.layers.Conv2D(
            filters * factor * factor, 3, padding="same", name=f"{name}_conv{index}"
        )(x)
        x = PixelShuffle(factor, name=f"{name}_shuffle{index}")(x)
    return x
