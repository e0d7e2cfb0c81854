import numpy as np
import pytest
import tensorflow as tf

from deeptasks.datasets import noise

SEED = tf.constant([3, 7])


def _photo(size=64):
    from skimage import data

    return tf.constant(data.astronaut()[:size, :size] / 255.0, tf.float32)


@pytest.mark.parametrize("sigma", [15.0, 25.0, 50.0])
def test_gaussian_noise_has_the_stated_std_and_zero_mean(sigma):
    clean = tf.fill([256, 256, 1], 0.5)
    added = (noise.add_gaussian(clean, sigma, SEED) - clean).numpy() * 255.0
    assert added.std() == pytest.approx(sigma, rel=0.02)
    assert abs(added.mean()) < 0.1 * sigma
    assert added.max() > 0.5 + 2 * sigma / 255.0  # not clipped to [0, 1]: the papers' protocol


def test_noise_is_fixed_by_seed():
    clean = _photo()
    same = noise.add_gaussian(clean, 25, SEED), noise.add_gaussian(clean, 25, SEED)
    other = noise.add_gaussian(clean, 25, tf.constant([3, 8]))
    np.testing.assert_array_equal(same[0].numpy(), same[1].numpy())
    assert np.abs(same[0].numpy() - other.numpy()).mean() > 0.05


@pytest.mark.parametrize(
    "pattern, tile",
    [
        ("rggb", [[0.1, 0.5], [0.5, 0.9]]),
        ("bggr", [[0.9, 0.5], [0.5, 0.1]]),
        ("grbg", [[0.5, 0.1], [0.9, 0.5]]),
        ("gbrg", [[0.5, 0.9], [0.1, 0.5]]),
    ],
)
def test_bayer_mosaic_pattern(pattern, tile):
    rgb = tf.ones([4, 6, 3]) * tf.constant([0.1, 0.5, 0.9])  # R, G, B
    raw = noise.mosaic(rgb, pattern).numpy()[..., 0]
    np.testing.assert_allclose(raw, np.tile(tile, (2, 3)), atol=1e-7)


@pytest.mark.parametrize("pattern", sorted(noise.BAYER_PATTERNS))
def test_demosaic_keeps_recorded_values_and_flat_colours(pattern):
    flat = tf.ones([7, 9, 3]) * tf.constant([0.2, 0.6, 0.3])
    np.testing.assert_allclose(
        noise.demosaic_bilinear(noise.mosaic(flat, pattern), pattern).numpy(),
        flat.numpy(),
        atol=1e-6,
    )
    photo = _photo()
    rebuilt = noise.demosaic_bilinear(noise.mosaic(photo, pattern), pattern)
    masks = noise.bayer_masks(64, 64, pattern)
    np.testing.assert_allclose((rebuilt * masks).numpy(), (photo * masks).numpy(), atol=1e-6)
    assert 0 < float(tf.reduce_mean(tf.abs(rebuilt - photo))) < 0.02  # interpolated, close


def test_jpeg_round_trip_changes_the_image_more_at_low_quality():
    photo = _photo()
    low, high = noise.jpeg(photo, 10), noise.jpeg(photo, 95)
    assert low.shape == photo.shape and low.dtype == tf.float32
    error_low = float(tf.reduce_mean(tf.abs(low - photo)))
    error_high = float(tf.reduce_mean(tf.abs(high - photo)))
    assert error_low > 2 * error_high > 0


def test_camera_response_inverts():
    x = tf.linspace(0.0, 1.0, 101)
    back = noise.camera_response(noise.inverse_camera_response(x, 2.2), 2.2)
    np.testing.assert_allclose(back.numpy(), x.numpy(), atol=1e-5)
    assert float(noise.inverse_camera_response(tf.constant(0.5), 2.2)) == pytest.approx(0.5**2.2)


def test_poisson_gaussian_variance_is_signal_dependent():
    sigma_s, sigma_c = 0.1, 0.02
    for level in (0.1, 0.8):
        std = noise.poisson_gaussian_std(tf.constant(level), sigma_s, sigma_c)
        assert float(std) ** 2 == pytest.approx(sigma_s**2 * level + sigma_c**2, rel=1e-5)
    assert float(noise.poisson_gaussian_std(tf.constant(0.8), sigma_s, sigma_c)) > float(
        noise.poisson_gaussian_std(tf.constant(0.1), sigma_s, sigma_c)
    )


def test_realistic_noise_is_seeded_and_agrees_in_tf_data():
    photo = _photo()
    noisy, sigma_map = noise.realistic_noise(photo, SEED)
    assert noisy.shape == photo.shape == sigma_map.shape
    assert float(tf.reduce_min(sigma_map)) >= 0 and float(tf.reduce_max(sigma_map)) > 0
    assert 0.0 <= float(tf.reduce_min(noisy)) and float(tf.reduce_max(noisy)) <= 1.0
    assert float(tf.reduce_mean(tf.abs(noisy - photo))) > 0.005
    mapped = next(
        iter(
            tf.data.Dataset.from_tensors(photo).map(
                lambda image: noise.realistic_noise(image, SEED)
            )
        )
    )
    np.testing.assert_array_equal(mapped[0].numpy(), noisy.numpy())
    other, _ = noise.realistic_noise(photo, tf.constant([4, 7]))
    assert float(tf.reduce_mean(tf.abs(other - noisy))) > 0.001


def test_realistic_noise_without_noise_is_the_camera_pipeline_only():
    photo = _photo()
    quiet = noise.CameraNoise(sigma_s=(0.0, 0.0), sigma_c=(0.0, 0.0), jpeg_quality=(100, 100))
    noisy, sigma_map = noise.realistic_noise(photo, SEED, quiet)
    assert float(tf.reduce_max(sigma_map)) == 0.0
    # mosaic + demosaic + JPEG at 100 only: close to the clean image
    assert float(tf.reduce_mean(tf.abs(noisy - photo))) < 0.02
