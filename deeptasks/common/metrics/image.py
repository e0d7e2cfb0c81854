"""Image quality metrics as SR and denoising papers report them.

PSNR and SSIM are computed with ``tf.image.psnr``/``tf.image.ssim`` on the luma (Y)
channel of ITU-R BT.601 (studio range, 16-235) with ``border`` pixels cropped from each
side, on 8-bit images: the protocol of SRCNN/VDSR/EDSR's evaluation code
(:func:`psnr_y`, :func:`ssim_y`). Denoising papers use every channel with no border
(:func:`image_psnr`, :func:`image_ssim`).
"""

from __future__ import annotations

import keras
import numpy as np
import tensorflow as tf

# ITU-R BT.601 RGB [0, 1] -> Y' [16, 235]
BT601_Y = np.array([65.481, 128.553, 24.966])
BT601_OFFSET = 16.0


def rgb_to_y(image: np.ndarray) -> np.ndarray:
    """uint8 RGB (HxWx3) or grey (HxW[x1]) -> float64 Y on the 0-255 scale."""
    arr = np.asarray(image, dtype=np.float64)
    if arr.ndim == 2 or arr.shape[-1] == 1:
        return arr.reshape(arr.shape[:2])
    return arr[..., :3] @ (BT601_Y / 255.0) + BT601_OFFSET


def _y_pair(pred: np.ndarray, true: np.ndarray, border: int) -> tuple[tf.Tensor, tf.Tensor]:
    if pred.shape != true.shape:
        raise ValueError(f"image shapes differ: {pred.shape} vs {true.shape}")
    y_pred, y_true = rgb_to_y(pred), rgb_to_y(true)
    if border:
        y_pred, y_true = (
            y_pred[border:-border, border:-border],
            y_true[border:-border, border:-border],
        )
    return (tf.constant(y_pred[..., None], tf.float64), tf.constant(y_true[..., None], tf.float64))


def psnr_y(pred: np.ndarray, true: np.ndarray, border: int = 0) -> float:
    """PSNR in dB between two uint8 images on Y, ``border`` pixels cropped."""
    a, b = _y_pair(pred, true, border)
    return float(tf.image.psnr(a, b, max_val=255.0))


def ssim_y(pred: np.ndarray, true: np.ndarray, border: int = 0) -> float:
    """SSIM (11x11 Gaussian window, sigma 1.5) between two uint8 images on Y."""
    a, b = _y_pair(pred, true, border)
    return float(tf.image.ssim(a, b, max_val=255.0))


def _pair(pred: np.ndarray, true: np.ndarray) -> tuple[tf.Tensor, tf.Tensor]:
    if pred.shape != true.shape:
        raise ValueError(f"image shapes differ: {pred.shape} vs {true.shape}")
    shape = pred.shape if pred.ndim == 3 else (*pred.shape, 1)
    return tuple(tf.constant(np.reshape(a, shape), tf.float64) for a in (pred, true))


def image_psnr(pred: np.ndarray, true: np.ndarray) -> float:
    """PSNR in dB between two uint8 images over every channel (grey, or RGB as colour
    denoising papers report it)."""
    return float(tf.image.psnr(*_pair(pred, true), max_val=255.0))


def image_ssim(pred: np.ndarray, true: np.ndarray) -> float:
    """SSIM (11x11 Gaussian window, sigma 1.5) between two uint8 images, the mean over
    channels for colour."""
    return float(tf.image.ssim(*_pair(pred, true), max_val=255.0))


@keras.saving.register_keras_serializable(package="deeptasks")
def psnr(y_true, y_pred):
    """Per-image PSNR in dB of [0, 1] RGB tensors: a cheap Keras metric for training logs."""
    y_pred = keras.ops.clip(y_pred, 0.0, 1.0)
    mse = keras.ops.mean(keras.ops.square(y_true - y_pred), axis=(1, 2, 3))
    return 10.0 * keras.ops.log(1.0 / keras.ops.maximum(mse, 1e-10)) / np.log(10.0)
