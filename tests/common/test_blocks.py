import keras
import numpy as np
import pytest
import tensorflow as tf

from deeptasks.common.blocks.pixel_shuffle import PixelShuffle
from deeptasks.common.blocks.residual import ResidualBlock
from deeptasks.common.blocks.upsampler import subpixel_upsampler


@pytest.mark.parametrize("scale", [2, 3, 4])
def test_pixel_shuffle_matches_depth_to_space(scale):
    x = np.random.default_rng(scale).normal(size=(2, 5, 7, 3 * scale * scale)).astype("float32")
    out = PixelShuffle(scale)(x)
    assert tuple(out.shape) == (2, 5 * scale, 7 * scale, 3)
    np.testing.assert_allclose(np.asarray(out), tf.nn.depth_to_space(x, scale).numpy())


def test_pixel_shuffle_symbolic_shape():
    inputs = keras.Input((None, None, 12))
    assert tuple(PixelShuffle(2)(inputs).shape) == (None, None, None, 3)


def test_residual_block_shape_and_identity_at_zero_scale():
    x = np.random.default_rng(0).normal(size=(1, 6, 6, 8)).astype("float32")
    block = ResidualBlock(8, res_scale=0.0)
    np.testing.assert_allclose(np.asarray(block(x)), x)
    assert tuple(ResidualBlock(8)(x).shape) == (1, 6, 6, 8)


@pytest.mark.parametrize("layer", [PixelShuffle(3, name="ps"), ResidualBlock(8, 5, 0.1, name="rb")])
def test_layer_serialization_round_trip(layer):
    config = keras.layers.serialize(layer)
    clone = keras.layers.deserialize(config)
    assert clone.get_config() == layer.get_config()


def test_residual_block_weights_survive_save(tmp_path):
    inputs = keras.Input((None, None, 8))
    model = keras.Model(inputs, ResidualBlock(8, name="rb")(inputs))
    x = np.random.default_rng(1).normal(size=(1, 9, 9, 8)).astype("float32")
    model.save(tmp_path / "m.keras")
    loaded = keras.saving.load_model(tmp_path / "m.keras", safe_mode=True)
    np.testing.assert_allclose(np.asarray(loaded(x)), np.asarray(model(x)), atol=1e-6)


@pytest.mark.parametrize("scale,stages", [(2, 1), (3, 1), (4, 2)])
def test_subpixel_upsampler(scale, stages):
    inputs = keras.Input((None, None, 4))
    outputs = subpixel_upsampler(inputs, 4, scale)
    model = keras.Model(inputs, outputs)
    assert tuple(model(np.zeros((1, 5, 6, 4), "float32")).shape) == (1, 5 * scale, 6 * scale, 4)
    assert sum(isinstance(layer, PixelShuffle) for layer in model.layers) == stages
    with pytest.raises(ValueError):
        subpixel_upsampler(inputs, 4, 5)
