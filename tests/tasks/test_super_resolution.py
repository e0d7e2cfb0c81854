import keras
import numpy as np
import pytest
import tensorflow as tf

import deeptasks
from deeptasks.common.io import to_uint8
from deeptasks.common.metrics.image import psnr_y
from deeptasks.datasets import image_pipeline as ip
from deeptasks.datasets import image_sources as sources
from deeptasks.tasks.super_resolution import data
from deeptasks.tasks.super_resolution.inference import super_resolve

TASK = deeptasks.get_task("super_resolution")
TINY = {
    "srcnn": ["model.filters=8"],
    "vdsr": ["model.filters=8", "model.depth=3"],
    "espcn": ["model.filters=8"],
    "edsr": ["model.filters=8", "model.depth=1"],
}


def _cfg(model="edsr", scale=3, extra=()):
    return TASK.config(
        "smoke", [f"model.name={model}", f"data.scale={scale}", *TINY[model], *extra]
    )


@pytest.mark.parametrize("model", sorted(TINY))
@pytest.mark.parametrize("scale", [2, 3, 4])
def test_model_maps_lr_to_hr_shape(model, scale):
    cfg = _cfg(model, scale)
    net = TASK.build_model(cfg)
    low = np.random.default_rng(0).random((13, 17, 3)).astype("float32")
    assert super_resolve(net, cfg, low).shape == (13 * scale, 17 * scale, 3)


@pytest.mark.parametrize("model", ["vdsr", "edsr"])  # on the upsampled input, and not
def test_self_ensemble_treats_every_orientation_alike(model):
    cfg = _cfg(model, 2, ["model.tile_size=8"])  # tiles too: 13 x 17 is cut in pieces
    net = TASK.build_model(cfg)
    low = np.random.default_rng(1).random((13, 17, 3)).astype("float32")
    turned = np.ascontiguousarray(np.rot90(low))
    plain = super_resolve(net, cfg, low)
    assert np.abs(super_resolve(net, cfg, turned) - np.rot90(plain)).max() > 1e-3
    cfg.model.self_ensemble = True
    both = super_resolve(net, cfg, low)
    assert both.shape == plain.shape and np.abs(both - plain).max() > 1e-3
    np.testing.assert_allclose(super_resolve(net, cfg, turned), np.rot90(both), atol=1e-5)


@pytest.mark.parametrize("model", sorted(TINY))
def test_model_save_load_safe_mode(model, tmp_path):
    cfg = _cfg(model)
    net = TASK.build_model(cfg)
    x = np.random.default_rng(1).random((1, 10, 12, 3)).astype("float32")
    net.save(tmp_path / "m.keras")
    loaded = keras.saving.load_model(tmp_path / "m.keras", safe_mode=True)
    np.testing.assert_allclose(np.asarray(loaded(x)), np.asarray(net(x)), atol=1e-5)


def test_paper_sizes():
    cfg = TASK.config("smoke", ["model.filters=0", "model.depth=0"])
    edsr = TASK.models["edsr"].build(cfg.model, scale=3)
    assert sum("block" in layer.name for layer in edsr.layers) == 16
    cfg.model.name = "vdsr"
    vdsr = TASK.models["vdsr"].build(cfg.model, scale=3)
    assert sum(isinstance(layer, keras.layers.Conv2D) for layer in vdsr.layers) == 20


def test_train_batches_shapes_and_range():
    cfg = _cfg("edsr", 3)
    x, y = next(iter(TASK.build_dataset(cfg, "train")))
    size = cfg.data.hr_patch_size
    assert tuple(x.shape) == (cfg.train.batch_size, size // 3, size // 3, 3)
    assert tuple(y.shape) == (cfg.train.batch_size, size, size, 3)
    assert 0.0 <= float(tf.reduce_min(x)) and float(tf.reduce_max(y)) <= 1.0


def test_train_pairs_are_bicubic_degradations_up_to_augmentation():
    cfg = _cfg("espcn", 2, ["train.batch_size=8"])
    x, y = next(iter(TASK.build_dataset(cfg, "train")))
    # the input is the antialiased bicubic downscale of the target (flips/rotations commute)
    np.testing.assert_allclose(x.numpy(), ip.bicubic_downscale(y, 2).numpy(), atol=1e-5)


def test_multiscale_training_for_upsampled_models_only():
    cfg = _cfg("vdsr", 3, ["data.train_scales=2,3,4", "train.batch_size=4"])
    x, y = next(iter(TASK.build_dataset(cfg, "train")))
    assert x.shape == y.shape  # VDSR works on the HR grid
    assert data.train_scales(_cfg("vdsr", 3)) == (2, 3, 4)  # VDSR is multi-scale by default
    assert data.train_scales(_cfg("edsr", 4)) == (4,)
    with pytest.raises(deeptasks.errors.UserError, match="learns one scale"):
        data.train_scales(_cfg("espcn", 3, ["data.train_scales=2,3"]))


def test_val_and_test_are_deterministic_and_whole():
    cfg = _cfg("edsr", 3)
    first = [b[1].numpy() for b in TASK.build_dataset(cfg, "val")]
    second = [b[1].numpy() for b in TASK.build_dataset(cfg, "val")]
    for a, b in zip(first, second):
        np.testing.assert_array_equal(a, b)
    x, y = next(iter(TASK.build_dataset(cfg, "test")))
    assert y.shape[1] % 3 == 0 and y.shape[1] > 200  # a whole photo, not a patch
    assert x.shape[1] * 3 == y.shape[1]


def test_evaluate_reports_model_and_bicubic():
    cfg = _cfg("edsr", 3)
    result = TASK.evaluate(TASK.build_model(cfg), cfg)
    assert set(result["model"]) == set(result["baseline"]) == {"psnr_y", "ssim_y"}
    assert result["images"] == cfg.data.test_limit
    # the bicubic number is an independent recomputation away
    image = next(iter(sources.split_images(cfg, "test")))
    hr = ip.modcrop(ip.to_float(image), 3)
    bic = ip.bicubic_upscale(ip.bicubic_downscale(hr, 3), 3)
    expected = psnr_y(to_uint8(bic.numpy()), to_uint8(hr.numpy()), 3)
    assert result["per_image"][0]["baseline"]["psnr_y"] == pytest.approx(expected)
    assert 20 < expected < 40
