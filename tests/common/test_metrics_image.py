import numpy as np
import pytest
from skimage.metrics import peak_signal_noise_ratio, structural_similarity

from deeptasks.common.metrics.image import psnr, psnr_y, rgb_to_y, ssim_y


def _pair(seed=0, shape=(64, 80, 3)):
    rng = np.random.default_rng(seed)
    true = rng.integers(0, 256, shape, dtype=np.uint8)
    noise = rng.normal(0, 12, shape)
    pred = np.clip(true + noise, 0, 255).astype(np.uint8)
    return pred, true


def test_bt601_luma_known_values():
    assert rgb_to_y(np.full((1, 1, 3), 255, np.uint8))[0, 0] == pytest.approx(235.0)
    assert rgb_to_y(np.zeros((1, 1, 3), np.uint8))[0, 0] == pytest.approx(16.0)
    red = np.array([[[255, 0, 0]]], np.uint8)
    assert rgb_to_y(red)[0, 0] == pytest.approx(16 + 65.481)


def test_psnr_y_known_answer():
    true = np.zeros((32, 32, 1), np.uint8) + 100
    pred = true + 1  # grey images: Y is the value itself; MSE = 1
    assert psnr_y(pred, true) == pytest.approx(20 * np.log10(255.0), abs=1e-4)


@pytest.mark.parametrize("border", [0, 3])
def test_psnr_ssim_y_match_scikit_image(border):
    pred, true = _pair()
    y_pred, y_true = rgb_to_y(pred), rgb_to_y(true)
    if border:
        y_pred, y_true = (
            y_pred[border:-border, border:-border],
            y_true[border:-border, border:-border],
        )
    expected_psnr = peak_signal_noise_ratio(y_true, y_pred, data_range=255)
    expected_ssim = structural_similarity(
        y_true,
        y_pred,
        data_range=255,
        gaussian_weights=True,
        sigma=1.5,
        use_sample_covariance=False,
    )
    assert psnr_y(pred, true, border) == pytest.approx(expected_psnr, abs=1e-6)
    assert ssim_y(pred, true, border) == pytest.approx(expected_ssim, abs=2e-3)


def test_border_crop_ignores_edges():
    true = np.full((40, 40, 3), 120, np.uint8)
    pred = true.copy()
    pred[:2] = 0  # damage only the top two rows
    assert psnr_y(pred, true, border=0) < 30
    assert psnr_y(pred, true, border=2) == float("inf") or psnr_y(pred, true, border=2) > 90


def test_keras_psnr_metric():
    true = np.full((2, 8, 8, 3), 0.5, np.float32)
    pred = true + 0.1
    assert np.asarray(psnr(true, pred)) == pytest.approx([20.0, 20.0], abs=1e-4)
