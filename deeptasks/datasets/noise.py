"""Noise models for denoising, as tf ops usable eagerly and inside ``tf.data``.

Two families:

* additive white Gaussian noise (AWGN) at a level ``sigma`` on the 0-255 scale, the
  protocol of BM3D and DnCNN;
* CBDNet's realistic camera noise, ``y = JPEG(f(DM(L + n(L))))``: the clean sRGB image is
  taken back to linear irradiance through the inverse camera response ``f^-1`` (here a
  gamma curve), mosaicked to a Bayer pattern (``L``), given signal-dependent
  Poisson-Gaussian noise ``n(L) = n_s(L) + n_c`` with variance ``sigma_s^2 L + sigma_c^2``,
  demosaicked (``DM``, bilinear), mapped back through the camera response ``f`` and
  JPEG-compressed at a random quality.

Images are float32 in [0, 1], ``[H, W, C]``. Every random op is stateless and takes a
``seed`` (shape ``[2]``), so a fixed seed gives the same noisy image on every run.

Reference:
    Zhang et al., "Beyond a Gaussian Denoiser: Residual Learning of Deep CNN for Image
    Denoising", TIP 2017. Guo et al., "Toward Convolutional Blind Denoising of Real
    Photographs", CVPR 2019.
"""

from __future__ import annotations

from dataclasses import dataclass

import tensorflow as tf

# Bayer patterns: the colour (0 R, 1 G, 2 B) at (row % 2, col % 2) positions
# (0, 0), (0, 1), (1, 0), (1, 1).
BAYER_PATTERNS = {
    "rggb": (0, 1, 1, 2),
    "bggr": (2, 1, 1, 0),
    "grbg": (1, 0, 2, 1),
    "gbrg": (1, 2, 0, 1),
}
# Bilinear demosaicking kernels, used as normalised convolutions (weights / weights seen).
_RB_KERNEL = [[1.0, 2.0, 1.0], [2.0, 4.0, 2.0], [1.0, 2.0, 1.0]]
_G_KERNEL = [[0.0, 1.0, 0.0], [1.0, 4.0, 1.0], [0.0, 1.0, 0.0]]


@dataclass(frozen=True)
class CameraNoise:
    """Ranges the realistic noise parameters are drawn from (uniformly).

    Defaults follow CBDNet: ``sigma_s`` in [0, 0.16], ``sigma_c`` in [0, 0.06] (on the
    [0, 1] irradiance scale); camera gamma in [1.8, 2.6]; JPEG quality in [60, 100].
    """

    sigma_s: tuple[float, float] = (0.0, 0.16)
    sigma_c: tuple[float, float] = (0.0, 0.06)
    gamma: tuple[float, float] = (1.8, 2.6)
    jpeg_quality: tuple[int, int] = (60, 100)


def add_gaussian(image: tf.Tensor, sigma, seed: tf.Tensor) -> tf.Tensor:
    """``image`` plus white Gaussian noise of standard deviation ``sigma``/255 (not clipped,
    as the papers' test protocol adds it)."""
    noise = tf.random.stateless_normal(tf.shape(image), seed, stddev=1.0)
    return image + noise * tf.cast(sigma, tf.float32) / 255.0


def inverse_camera_response(image: tf.Tensor, gamma) -> tf.Tensor:
    """``f^-1``: sRGB-like values in [0, 1] -> linear irradiance, ``x ** gamma``."""
    return tf.pow(tf.clip_by_value(image, 0.0, 1.0), tf.cast(gamma, tf.float32))


def camera_response(irradiance: tf.Tensor, gamma) -> tf.Tensor:
    """``f``: linear irradiance -> display values, ``L ** (1 / gamma)``, clipped to [0, 1]."""
    clipped = tf.clip_by_value(irradiance, 0.0, 1.0)
    return tf.pow(clipped, 1.0 / tf.cast(gamma, tf.float32))


def bayer_masks(height, width, pattern: str = "rggb") -> tf.Tensor:
    """``[H, W, 3]`` 0/1 masks: which colour each photosite of the pattern records."""
    if pattern not in BAYER_PATTERNS:
        raise ValueError(f"unknown Bayer pattern {pattern!r}; valid: {', '.join(BAYER_PATTERNS)}")
    colours = tf.constant(BAYER_PATTERNS[pattern], tf.int32)
    rows = tf.range(height)[:, None] % 2
    cols = tf.range(width)[None, :] % 2
    site = tf.gather(colours, rows * 2 + cols)  # [H, W] colour index
    return tf.one_hot(site, 3, dtype=tf.float32)


def mosaic(image: tf.Tensor, pattern: str = "rggb") -> tf.Tensor:
    """RGB ``[H, W, 3]`` -> the single-channel ``[H, W, 1]`` raw image a Bayer sensor records."""
    shape = tf.shape(image)
    masks = bayer_masks(shape[0], shape[1], pattern)
    return tf.reduce_sum(image * masks, axis=-1, keepdims=True)


def demosaic_bilinear(raw: tf.Tensor, pattern: str = "rggb") -> tf.Tensor:
    """Bilinear demosaicking of a ``[H, W, 1]`` Bayer image -> ``[H, W, 3]``.

    Each colour is interpolated from the photosites that recorded it by a normalised
    convolution, so recorded values are kept exactly and borders need no padding rules.
    """
    shape = tf.shape(raw)
    masks = bayer_masks(shape[0], shape[1], pattern)
    kernels = tf.stack([_RB_KERNEL, _G_KERNEL, _RB_KERNEL], axis=-1)  # [3, 3, 3]
    kernels = tf.reshape(kernels, [3, 3, 3, 1])  # depthwise: one kernel per colour

    def spread(values: tf.Tensor) -> tf.Tensor:
        return tf.nn.depthwise_conv2d(values[None], kernels, [1, 1, 1, 1], "SAME")[0]

    return spread(raw * masks) / spread(masks)


def jpeg(image: tf.Tensor, quality) -> tf.Tensor:
    """JPEG-compress and decode ``[H, W, C]`` (C = 1 or 3) at ``quality`` (1-100)."""
    return tf.image.adjust_jpeg_quality(
        tf.clip_by_value(image, 0.0, 1.0), tf.cast(quality, tf.int32)
    )


def poisson_gaussian_std(irradiance: tf.Tensor, sigma_s, sigma_c) -> tf.Tensor:
    """Per-pixel noise std of ``n(L)``: ``sqrt(sigma_s^2 * L + sigma_c^2)``."""
    level = tf.clip_by_value(irradiance, 0.0, 1.0)
    return tf.sqrt(tf.square(sigma_s) * level + tf.square(sigma_c))


def realistic_noise(
    image: tf.Tensor, seed: tf.Tensor, ranges: CameraNoise = CameraNoise()
) -> tuple[tf.Tensor, tf.Tensor]:
    """CBDNet's camera pipeline applied to a clean RGB ``[H, W, 3]`` image.

    Returns ``(noisy, sigma_map)``: the noisy image and the ``[H, W, 3]`` map of the noise
    level it carries in the output (display) domain, ``f(L + sigma(L)) - f(L)`` per
    channel - the target of CBDNet's noise estimation subnet.
    """
    seeds = tf.random.experimental.stateless_split(tf.cast(seed, tf.int32), 6)

    def uniform(index: int, bounds: tuple[float, float]) -> tf.Tensor:
        return tf.random.stateless_uniform([], seeds[index], bounds[0], bounds[1])

    sigma_s, sigma_c = uniform(0, ranges.sigma_s), uniform(1, ranges.sigma_c)
    gamma = uniform(2, ranges.gamma)
    quality = tf.random.stateless_uniform(
        [], seeds[3], ranges.jpeg_quality[0], ranges.jpeg_quality[1] + 1, tf.int32
    )
    pattern = tf.random.stateless_uniform([], seeds[4], 0, len(BAYER_PATTERNS), tf.int32)
    linear = inverse_camera_response(image, gamma)

    def through_sensor(name: str) -> tf.Tensor:
        raw = mosaic(linear, name)
        std = poisson_gaussian_std(raw, sigma_s, sigma_c)
        noisy_raw = raw + std * tf.random.stateless_normal(tf.shape(raw), seeds[5])
        return demosaic_bilinear(noisy_raw, name)

    branches = [lambda name=name: through_sensor(name) for name in BAYER_PATTERNS]
    demosaicked = tf.switch_case(pattern, branches)
    noisy = jpeg(camera_response(demosaicked, gamma), quality)
    std = poisson_gaussian_std(linear, sigma_s, sigma_c)
    sigma_map = camera_response(linear + std, gamma) - camera_response(linear, gamma)
    return tf.ensure_shape(noisy, image.shape), tf.ensure_shape(sigma_map, image.shape)
