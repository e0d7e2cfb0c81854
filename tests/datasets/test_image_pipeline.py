import numpy as np
import pytest
import tensorflow as tf

from deeptasks.datasets import image_pipeline as ip


def _image(h=50, w=61, seed=0):
    return tf.constant(np.random.default_rng(seed).random((h, w, 3)), tf.float32)


def test_modcrop_and_scales():
    image = _image(50, 61)
    cropped = ip.modcrop(image, 3)
    assert tuple(cropped.shape) == (48, 60, 3)
    low = ip.bicubic_downscale(cropped, 3)
    assert tuple(low.shape) == (16, 20, 3)
    assert tuple(ip.bicubic_upscale(low, 3).shape) == (48, 60, 3)
    assert float(tf.reduce_min(low)) >= 0.0 and float(tf.reduce_max(low)) <= 1.0


def test_downscale_is_antialiased():
    # a 1-pixel checkerboard has no energy a x2 antialiased downscale can keep
    board = np.indices((32, 32)).sum(axis=0) % 2
    image = tf.constant(np.repeat(board[..., None], 3, -1), tf.float32)
    low = ip.bicubic_downscale(image, 2).numpy()
    assert np.abs(low - 0.5).max() < 0.05


def test_random_crops_shapes_and_content():
    image = _image()
    seed = tf.constant([1, 2], tf.int64)
    crops = ip.random_crops(image, 12, 5, tf.cast(seed, tf.int32))
    assert tuple(crops.shape) == (5, 12, 12, 3)
    # each crop is a real window of the image
    full = image.numpy()
    for crop in crops.numpy():
        hits = [
            (y, x)
            for y in range(50 - 11)
            for x in range(61 - 11)
            if np.allclose(full[y : y + 12, x : x + 12], crop)
        ]
        assert hits


def test_small_images_are_padded_not_refused():
    crops = ip.random_crops(_image(8, 9), 12, 2, tf.constant([0, 1], tf.int32))
    assert tuple(crops.shape) == (2, 12, 12, 3)


@pytest.mark.parametrize("op", ["crops", "dihedral", "down"])
def test_eager_and_dataset_map_agree(op):
    image = _image()
    seed = tf.constant([3, 4], tf.int32)

    def apply(img, s):
        if op == "crops":
            return ip.random_crops(img, 16, 3, s)
        if op == "dihedral":
            return ip.random_dihedral((img[None], img[None] * 2), s)[1]
        return ip.bicubic_downscale(ip.modcrop(img, 3), 3)

    eager = apply(image, seed).numpy()
    dataset = tf.data.Dataset.from_tensors((image, seed)).map(apply, num_parallel_calls=2)
    mapped = next(iter(dataset)).numpy()
    np.testing.assert_allclose(eager, mapped, atol=1e-6)


def test_dihedral_keeps_pairs_aligned_and_covers_all_symmetries():
    image = _image(6, 6)
    seen = set()
    for i in range(64):
        a, b = ip.random_dihedral((image[None], image[None] + 1.0), tf.constant([i, 7]))
        np.testing.assert_allclose(b.numpy(), a.numpy() + 1.0, atol=1e-6)
        seen.add(a.numpy().tobytes())
    assert len(seen) == 8


def test_grid_crops_are_deterministic():
    image = _image(100, 120)
    a, b = ip.grid_crops(image, 40, 4), ip.grid_crops(image, 40, 4)
    assert tuple(a.shape) == (4, 40, 40, 3)
    np.testing.assert_array_equal(a.numpy(), b.numpy())
    np.testing.assert_array_equal(a[0].numpy(), image[:40, :40].numpy())
    np.testing.assert_array_equal(a[3].numpy(), image[60:, 80:].numpy())
