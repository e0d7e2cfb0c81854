import keras
import numpy as np
import pytest

from deeptasks.common.losses import (
    DiceCrossEntropy,
    NoiseMapLoss,
    asymmetric_squared_error,
    half_sum_squared_error,
    total_variation_squared,
)


def test_half_sum_squared_error_known_value():
    y_true = np.zeros((2, 3, 3, 1), "float32")
    y_pred = np.ones((2, 3, 3, 1), "float32")
    y_pred[1] *= 2.0
    np.testing.assert_allclose(np.asarray(half_sum_squared_error(y_true, y_pred)), [4.5, 18.0])


@pytest.mark.parametrize("alpha", [0.3, 0.1])
def test_asymmetric_loss_penalises_under_estimation_by_the_stated_factor(alpha):
    truth = np.full((1, 2, 2, 1), 0.1, "float32")
    under = float(np.sum(asymmetric_squared_error(truth, truth - 0.05, alpha)))
    over = float(np.sum(asymmetric_squared_error(truth, truth + 0.05, alpha)))
    assert under / over == pytest.approx((1 - alpha) / alpha, rel=1e-4)
    assert float(np.sum(asymmetric_squared_error(truth, truth, alpha))) == 0.0


def test_total_variation_is_zero_only_for_flat_maps():
    flat = np.full((1, 4, 4, 3), 0.2, "float32")
    assert float(total_variation_squared(flat)[0]) == 0.0
    ramp = np.tile(np.arange(4, dtype="float32")[None, None, :, None], (1, 4, 1, 1))
    assert float(total_variation_squared(ramp)[0]) == pytest.approx(1.0)  # (1^2 + 0) per pixel


def test_noise_map_loss_combines_terms_and_round_trips():
    loss = NoiseMapLoss(alpha=0.3, asymmetric_weight=0.5, tv_weight=0.05)
    truth = np.full((2, 4, 4, 1), 0.1, "float32")
    estimate = truth - 0.1
    expected = 0.5 * 0.7 * 0.01  # flat estimate: TV term is 0
    assert float(loss(truth, estimate)) == pytest.approx(expected, rel=1e-5)
    again = keras.losses.deserialize(keras.losses.serialize(loss))
    assert isinstance(again, NoiseMapLoss) and again.get_config() == loss.get_config()


def test_dice_cross_entropy_known_values_and_ignored_pixels():
    labels = np.array([[[0, 1], [2, 255]]])
    confident = np.where(np.eye(3)[np.where(labels == 255, 0, labels)] > 0, 30.0, -30.0)
    loss = DiceCrossEntropy(ignore_class=255)
    assert float(loss(labels, confident.astype("float32"))) == pytest.approx(0.0, abs=1e-6)
    # uniform logits: cross-entropy log 3; per class Dice (2/3 + 1) / (2 + 1) on 3 pixels
    uniform = np.zeros((1, 2, 2, 3), "float32")
    assert float(loss(labels, uniform)) == pytest.approx(np.log(3) + 1 - 5 / 9, rel=1e-5)
    # the ignored pixel's logits change nothing
    moved = uniform.copy()
    moved[0, 1, 1] = (9.0, -9.0, 4.0)
    assert float(loss(labels, moved)) == pytest.approx(float(loss(labels, uniform)), rel=1e-6)
    cross_entropy = keras.losses.SparseCategoricalCrossentropy(from_logits=True, ignore_class=255)
    no_dice = DiceCrossEntropy(ignore_class=255, dice_weight=0.0)
    assert float(no_dice(labels, moved)) == pytest.approx(float(cross_entropy(labels, moved)))
    restored = DiceCrossEntropy.from_config(loss.get_config())
    assert restored.ignore_class == 255 and restored.dice_weight == 1.0
