import keras
import numpy as np

from deeptasks.common.blocks.residual import ResidualBlock
from deeptasks.common.blocks.upsampler import subpixel_upsampler
from deeptasks.common.tiling import receptive_radius, self_ensemble, tiled_apply


def _model():
    keras.utils.set_random_seed(0)
    inputs = keras.Input((None, None, 3))
    x = keras.layers.Conv2D(8, 3, padding="same")(inputs)
    x = ResidualBlock(8)(x)
    x = subpixel_upsampler(x, 3, 2)
    return keras.Model(inputs, x)


def test_receptive_radius_counts_nested_convs():
    # head conv 1 + two convs in the block + the upsampler's conv: 4 x radius 1
    assert receptive_radius(_model()) == 4


def test_tiles_leave_no_seams():
    model = _model()
    image = np.random.default_rng(0).random((70, 53, 3)).astype("float32")
    whole = np.asarray(model(image[None]))[0]
    tiled = tiled_apply(
        lambda b: model(b), image, out_scale=2, tile=16, margin=receptive_radius(model)
    )
    assert tiled.shape == whole.shape == (140, 106, 3)
    np.testing.assert_allclose(tiled, whole, atol=1e-5)
    # too small a margin does leave seams: the test can tell the difference
    seamy = tiled_apply(lambda b: model(b), image, out_scale=2, tile=16, margin=0)
    assert np.abs(seamy - whole).max() > 1e-3


def test_self_ensemble_turns_each_output_back_before_averaging():
    image = np.random.default_rng(1).random((6, 9, 2)).astype("float32")
    # an upscaler that treats every orientation alike comes back unchanged (and 2x)
    nearest = lambda x: x.repeat(2, axis=0).repeat(2, axis=1)  # noqa: E731
    np.testing.assert_allclose(self_ensemble(nearest, image), nearest(image), atol=1e-6)
    # a model that adds its input's column index: on a square image the 8 views add
    # j, n-1-j, i and n-1-i twice each, whose mean is (n-1)/2 everywhere
    square = image[:6, :6]
    ramp = lambda x: x + np.arange(x.shape[1], dtype="float32")[None, :, None]  # noqa: E731
    np.testing.assert_allclose(self_ensemble(ramp, square), square + 2.5, atol=1e-5)
    assert np.abs(ramp(square) - (square + 2.5)).max() > 2.4  # one view alone is off
