"""Losses that are not in Keras, registered so that saved models load with ``safe_mode``."""

from __future__ import annotations

import keras
from keras import ops


@keras.saving.register_keras_serializable(package="deeptasks")
def half_sum_squared_error(y_true, y_pred):
    """DnCNN's loss per sample: ``1/2 * ||y_pred - y_true||^2`` summed over pixels and
    channels (Keras then averages over the batch, the paper's ``1/(2N) sum``).

    With residual learning the model outputs ``y - R(y)``, so this equals
    ``1/2 * ||R(y) - (y - x)||^2``: the residual is trained to be the noise.
    """
    return 0.5 * ops.sum(ops.square(y_pred - y_true), axis=tuple(range(1, len(y_pred.shape))))


def asymmetric_squared_error(sigma_true, sigma_pred, alpha: float):
    """CBDNet's asymmetric loss per pixel: ``|alpha - 1[sigma_pred < sigma_true]| * err^2``.

    With ``alpha < 0.5`` an under-estimated noise level costs ``(1 - alpha) / alpha``
    times more than an over-estimate of the same size: a non-blind denoiser given too low
    a level leaves noise in, given too high a level only smooths a little more.
    """
    error = sigma_pred - sigma_true
    under = ops.cast(error < 0, error.dtype)
    return ops.abs(alpha - under) * ops.square(error)


def total_variation_squared(maps):
    """``||grad_h maps||^2 + ||grad_v maps||^2`` per pixel (mean over positions)."""
    horizontal = ops.square(maps[:, :, 1:, :] - maps[:, :, :-1, :])
    vertical = ops.square(maps[:, 1:, :, :] - maps[:, :-1, :, :])
    return ops.mean(horizontal, axis=(1, 2, 3)) + ops.mean(vertical, axis=(1, 2, 3))


@keras.saving.register_keras_serializable(package="deeptasks")
class NoiseMapLoss(keras.losses.Loss):
    """CBDNet's loss on the estimated noise-level map:
    ``asymmetric_weight * L_asymm + tv_weight * L_TV`` (means over pixels, per sample).

    Args:
        alpha: asymmetry; ``< 0.5`` penalises under-estimation more (paper: 0.3).
        asymmetric_weight: ``lambda_asymm`` (paper: 0.5).
        tv_weight: ``lambda_TV``, smoothness of the map (paper: 0.05).

    Reference:
        Guo et al., "Toward Convolutional Blind Denoising of Real Photographs", CVPR 2019.
    """

    def __init__(
        self,
        alpha: float = 0.3,
        asymmetric_weight: float = 0.5,
        tv_weight: float = 0.05,
        name: str = "noise_map_loss",
        **kwargs,
    ):
        super().__init__(name=name, **kwargs)
        self.alpha = alpha
        self.asymmetric_weight = asymmetric_weight
        self.tv_weight = tv_weight

    def call(self, y_true, y_pred):
        asymmetric = asymmetric_squared_error(y_true, y_pred, self.alpha)
        return self.asymmetric_weight * ops.mean(
            asymmetric, axis=(1, 2, 3)
        ) + self.tv_weight * total_variation_squared(y_pred)

    def get_config(self):
        return {
            **super().get_config(),
            "alpha": self.alpha,
            "asymmetric_weight": self.asymmetric_weight,
            "tv_weight": self.tv_weight,
        }
