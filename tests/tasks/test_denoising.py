import keras
import numpy as np
import pytest
import tensorflow as tf

import deeptasks
from deeptasks.common.io import to_uint8
from deeptasks.common.metrics.image import image_psnr
from deeptasks.datasets import image_sources
from deeptasks.errors import UserError
from deeptasks.tasks.denoising import baselines, data
from deeptasks.tasks.denoising.inference import denoise_image

TASK = deeptasks.get_task("denoising")
CBDNET = ["model.name=cbdnet", "data.color=true", "data.noise=realistic"]


def _cfg(*overrides):
    return TASK.config("smoke", list(overrides))


def _noisy(shape, seed=0):
    return np.random.default_rng(seed).random(shape).astype("float32")


@pytest.mark.parametrize("overrides", [[], ["data.color=true"], CBDNET])
def test_models_keep_any_image_size(overrides):
    cfg = _cfg(*overrides)
    model = TASK.build_model(cfg)
    channels = 3 if cfg.data.color else 1
    clean, noise_map = denoise_image(model, cfg, _noisy((13, 22, channels)))
    assert clean.shape == (13, 22, channels)
    assert (noise_map is None) == (cfg.model.name == "dncnn")
    if noise_map is not None:
        assert noise_map.shape == clean.shape and noise_map.min() >= 0


@pytest.mark.parametrize("overrides", [[], CBDNET])
def test_save_load_safe_mode(overrides, tmp_path):
    cfg = _cfg(*overrides)
    model = TASK.build_model(cfg)
    x = _noisy((1, 16, 16, 3 if cfg.data.color else 1))
    model.save(tmp_path / "m.keras")
    loaded = keras.saving.load_model(tmp_path / "m.keras", safe_mode=True)
    out, again = model(x), loaded(x)
    for a, b in zip(keras.tree.flatten(out), keras.tree.flatten(again)):
        np.testing.assert_allclose(np.asarray(a), np.asarray(b), atol=1e-5)


def test_dncnn_paper_shape_and_residual_learning():
    cfg = TASK.config("paper")
    model = TASK.models["dncnn"].build(cfg.model, channels=1)
    convs = [layer for layer in model.layers if isinstance(layer, keras.layers.Conv2D)]
    norms = [layer for layer in model.layers if isinstance(layer, keras.layers.BatchNormalization)]
    assert len(convs) == 17 and len(norms) == 15 and convs[0].filters == 64
    # the network predicts the noise: with a zero last layer the output is the input
    small = TASK.build_model(_cfg())
    last = [layer for layer in small.layers if isinstance(layer, keras.layers.Conv2D)][-1]
    last.set_weights([np.zeros_like(w) for w in last.get_weights()])
    x = _noisy((1, 12, 12, 1))
    np.testing.assert_allclose(np.asarray(small(x)), x, atol=1e-6)


def test_cbdnet_noise_control_scales_or_replaces_the_map():
    cfg = _cfg(*CBDNET)
    model = TASK.build_model(cfg)
    control = model.get_layer("noise_control")
    x = _noisy((12, 16, 3))
    probe = keras.Model(model.input, control.output)
    estimate = np.asarray(probe(x[None]))
    control.scale.assign(2.0)
    np.testing.assert_allclose(np.asarray(probe(x[None])), 2.0 * estimate, rtol=1e-5)
    control.level.assign(0.1)
    np.testing.assert_allclose(np.asarray(probe(x[None])), 0.1, rtol=1e-6)
    # denoise_image sets the controls per call and leaves the blind defaults behind
    base, _ = denoise_image(model, cfg, x)
    smoother, _ = denoise_image(model, cfg, x, noise_scale=3.0)
    assert not np.allclose(base, smoother)
    assert float(control.scale.numpy()) == 1.0 and float(control.level.numpy()) == -1.0


@pytest.mark.parametrize("overrides", [[], CBDNET])
def test_tiled_denoising_is_seamless(overrides):
    cfg = _cfg(*overrides, "model.tile_size=32")
    model = TASK.build_model(cfg)
    image = _noisy((75, 90, 3 if cfg.data.color else 1), 3)
    tiled, _ = denoise_image(model, cfg, image)
    cfg.model.tile_size = 512
    whole, _ = denoise_image(model, cfg, image)
    np.testing.assert_allclose(tiled, whole, atol=1e-4)


@pytest.mark.parametrize("overrides", [[], CBDNET])
def test_self_ensemble_treats_every_orientation_alike(overrides):
    cfg = _cfg(*overrides, "model.tile_size=32")
    model = TASK.build_model(cfg)
    image = _noisy((45, 70, 3 if cfg.data.color else 1), 4)
    flipped = np.ascontiguousarray(image[::-1])
    plain, _ = denoise_image(model, cfg, image)
    # untrained weights treat the orientations differently...
    assert np.abs(denoise_image(model, cfg, flipped)[0] - plain[::-1]).max() > 1e-4
    cfg.model.self_ensemble = True
    both, noise_map = denoise_image(model, cfg, image)
    assert both.shape == plain.shape and np.abs(both - plain).max() > 1e-4
    # ...the mean over all 8 does not (CBDNet's noise map included)
    again, flipped_map = denoise_image(model, cfg, flipped)
    np.testing.assert_allclose(again, both[::-1], atol=1e-5)
    if noise_map is not None:
        np.testing.assert_allclose(flipped_map, noise_map[::-1], atol=1e-5)


def test_train_batches_fixed_and_blind_sigma():
    cfg = _cfg("data.sigma=25")
    x, y = next(iter(TASK.build_dataset(cfg, "train")))
    size = cfg.data.patch_size
    assert tuple(x.shape) == tuple(y.shape) == (cfg.train.batch_size, size, size, 1)
    stds = np.std((x - y).numpy(), axis=(1, 2, 3)) * 255
    np.testing.assert_allclose(stds, 25, rtol=0.15)
    cfg = _cfg("data.blind=true", "data.sigma_range=0,55", "train.batch_size=32")
    x, y = next(iter(TASK.build_dataset(cfg, "train")))
    stds = np.std((x - y).numpy(), axis=(1, 2, 3)) * 255
    assert stds.min() < 15 and stds.max() > 35 and stds.max() < 55 * 1.2


def test_cbdnet_targets_carry_the_true_noise_map():
    cfg = _cfg(*CBDNET)
    x, y = next(iter(TASK.build_dataset(cfg, "train")))
    assert set(y) == {"denoised", "noise_map"}
    assert x.shape == y["denoised"].shape == y["noise_map"].shape
    assert float(tf.reduce_min(y["noise_map"])) >= 0.0


def test_test_noise_is_fixed_by_seed():
    cfg = _cfg()
    first = [noisy for _, noisy, _ in data.test_triples(cfg)]
    second = [noisy for _, noisy, _ in data.test_triples(cfg)]
    assert len(first) == 2
    for a, b in zip(first, second):
        np.testing.assert_array_equal(a, b)
    batches = [x.numpy()[0] for x, _ in TASK.build_dataset(cfg, "test")]
    for a, b in zip(first, batches):
        np.testing.assert_array_equal(a, b)
    other = next(data.test_triples(_cfg("data.test_seed=1")))[1]
    assert np.abs(other - first[0]).mean() > 0.01


@pytest.mark.parametrize(
    "overrides, message",
    [
        (["data.noise=realistic"], "set data.color=true"),
        (["data.sigma=300"], "0-255 scale"),
        (["data.patch_size=4"], "too small"),
    ],
)
def test_bad_configs_are_refused(overrides, message):
    with pytest.raises(UserError, match=message):
        _cfg(*overrides)


@pytest.mark.parametrize("colour", [False, True])
def test_classical_baselines_denoise(colour):
    from skimage import data as images

    clean = images.astronaut()[200:264, 200:264] / 255.0
    clean = clean if colour else clean.mean(axis=-1, keepdims=True)
    noisy = clean + np.random.default_rng(0).normal(0, 25 / 255, clean.shape)
    before = image_psnr(to_uint8(noisy), to_uint8(clean))
    for method in baselines.METHODS:
        out = baselines.denoise(method, noisy.astype("float32"), 25 / 255)
        assert out.shape == clean.shape
        assert image_psnr(to_uint8(out), to_uint8(clean)) > before + 3, method


def test_baselines_are_cached(monkeypatch):
    cfg = _cfg()
    clean, noisy, _ = next(data.test_triples(cfg))
    path = image_sources.split_paths(cfg, "test")[0]
    first = baselines.run(cfg, 0, path, to_uint8(clean), noisy)

    def fail(*args):
        raise AssertionError("recomputed a cached baseline")

    monkeypatch.setattr(baselines, "denoise", fail)
    again = baselines.run(cfg, 0, path, to_uint8(clean), noisy)
    for method in baselines.METHODS:
        np.testing.assert_array_equal(first[method]["output"], again[method]["output"])
    other = _cfg("data.sigma=50")
    assert baselines.cache_dir(other) != baselines.cache_dir(cfg)


def test_evaluate_reports_model_and_every_baseline():
    cfg = _cfg()
    result = TASK.evaluate(TASK.build_model(cfg), cfg)
    assert result["baseline_name"] == "bm3d" and result["images"] == 2
    assert set(result["baselines"]) == {"noisy", "bm3d", "nl_means", "wavelet"}
    assert result["baselines"]["bm3d"]["psnr"] > result["baselines"]["noisy"]["psnr"] + 3
    assert set(result["model"]) == {"psnr", "ssim"}
    assert result["megapixels_per_second"]["model"] > 0


# --- through the CLI -----------------------------------------------------------------


@pytest.fixture(scope="module")
def cli_runs(tmp_path_factory, train_smoke):
    from deeptasks.cli import main

    root = tmp_path_factory.mktemp("denoising")
    runs = {"dncnn": train_smoke("denoising"), "cbdnet": root / "cbdnet"}
    sets = [arg for s in CBDNET for arg in ("--set", s)]
    argv = ["train", "denoising", "--preset", "smoke", *sets, "--workdir", str(runs["cbdnet"])]
    assert main(argv) == 0
    return runs


def _images(folder):
    from PIL import Image

    rng = np.random.default_rng(0)
    Image.fromarray(rng.integers(0, 255, (40, 50, 3), np.uint8)).save(folder / "rgb.png")
    Image.fromarray(rng.integers(0, 255, (30, 21), np.uint8), "L").save(folder / "grey.png")
    Image.fromarray(rng.integers(0, 255, (24, 26, 4), np.uint8), "RGBA").save(folder / "rgba.png")
    return {"rgb.png": (40, 50, 3), "grey.png": (30, 21), "rgba.png": (24, 26, 4)}


def test_cli_runs_write_metrics_and_samples(cli_runs):
    import json

    for name, workdir in cli_runs.items():
        metrics = json.loads((workdir / "metrics.json").read_text())
        test = metrics["test"]
        assert metrics["task"] == "denoising" and metrics["model_name"] == name
        assert test["baseline_name"] == "bm3d" and set(test["model"]) == {"psnr", "ssim"}
        assert set(test["baselines"]) == {"noisy", "bm3d", "nl_means", "wavelet"}
        samples = sorted(p.name for p in (workdir / "samples").glob("*.png"))
        expected = 4 if name == "cbdnet" else 2  # CBDNet adds its noise-level maps
        assert len(samples) == expected, samples
        assert any("noise_map" in s for s in samples) == (name == "cbdnet")


def test_cli_evaluate_prints_every_baseline(cli_runs, capsys):
    from deeptasks.cli import main

    assert main(["evaluate", "--workdir", str(cli_runs["dncnn"])]) == 0
    out = capsys.readouterr().out
    for word in ("psnr", "ssim", "bm3d", "nl_means", "wavelet", "noisy"):
        assert word in out


@pytest.mark.parametrize("name", ["dncnn", "cbdnet"])
def test_cli_predict_keeps_size_and_kind(cli_runs, name, tmp_path):
    from PIL import Image

    from deeptasks.cli import main

    shapes = _images(tmp_path)
    out = tmp_path / "out"
    extra = ["--noise-scale", "1.5"] if name == "cbdnet" else ["--sigma", "15"]
    inputs = [str(tmp_path / n) for n in shapes]
    assert main(["predict", "--workdir", str(cli_runs[name]), *inputs, "-o", str(out), *extra]) == 0
    for file, shape in shapes.items():
        written = np.asarray(Image.open(out / file.replace(".png", "_denoised.png")))
        assert written.shape == shape, file
    rgba = np.asarray(Image.open(tmp_path / "rgba.png"))
    again = np.asarray(Image.open(out / "rgba_denoised.png"))
    np.testing.assert_array_equal(again[..., 3], rgba[..., 3])  # alpha kept


def test_cli_predict_self_ensemble_reaches_inference_only(cli_runs, tmp_path, monkeypatch):
    from deeptasks.cli import main
    from deeptasks.runs import load_run
    from deeptasks.tasks.denoising import predict

    _images(tmp_path)
    seen = []

    def spy(model, cfg, image, **kwargs):
        seen.append(cfg.model.self_ensemble)
        return denoise_image(model, cfg, image, **kwargs)

    monkeypatch.setattr(predict, "denoise_image", spy)
    run, image = str(cli_runs["dncnn"]), str(tmp_path / "grey.png")
    assert main(["predict", "--workdir", run, image, "-o", str(tmp_path / "a")]) == 0
    assert (
        main(["predict", "--workdir", run, image, "-o", str(tmp_path / "b"), "--self-ensemble"])
        == 0
    )
    assert seen == [False, True] and (tmp_path / "b" / "grey_denoised.png").is_file()
    assert load_run(cli_runs["dncnn"])[1].model.self_ensemble is False  # the run is unchanged


def test_fixed_sigma_rescaling_is_identity_at_the_trained_sigma(cli_runs, tmp_path):
    from deeptasks.runs import load_run
    from deeptasks.tasks.denoising.predict import _denoise_for_user

    _, cfg, model = load_run(cli_runs["dncnn"])
    image = _noisy((20, 24, 1), 5)
    plain = _denoise_for_user(model, cfg, image, None, 1.0)
    np.testing.assert_allclose(_denoise_for_user(model, cfg, image, 25.0, 1.0), plain, atol=1e-5)
    assert not np.allclose(_denoise_for_user(model, cfg, image, 50.0, 1.0), plain, atol=1e-3)


@pytest.mark.parametrize(
    "name, extra, message",
    [
        ("dncnn", ["--noise-scale", "2"], "applies to CBDNet runs only"),
        ("cbdnet", ["--noise-scale", "0"], "must be > 0"),
        ("dncnn", ["--sigma", "-3"], "must be > 0"),
        ("cbdnet", ["missing.png"], "image not found"),
    ],
)
def test_cli_predict_bad_input_one_line(cli_runs, name, extra, message, tmp_path, error_line):
    from deeptasks.cli import main

    _images(tmp_path)
    out = tmp_path / "out"
    argv = ["predict", "--workdir", str(cli_runs[name]), str(tmp_path / "rgb.png"), *extra]
    assert main([*argv, "-o", str(out)]) == 2
    assert message in error_line()
    assert not out.exists() or not any(out.iterdir())  # nothing written


def test_cli_predict_refuses_sigma_for_blind_dncnn(tmp_path, error_line):
    from deeptasks.cli import main

    blind = tmp_path / "blind"
    argv = ["train", "denoising", "--preset", "smoke", "--set", "data.blind=true"]
    assert main([*argv, "--set", "train.epochs=1", "--workdir", str(blind)]) == 0
    _images(tmp_path)
    image = str(tmp_path / "rgb.png")
    assert main(["predict", "--workdir", str(blind), image, "--sigma", "20"]) == 2
    assert "drop --sigma" in error_line()


def test_cli_bad_config_is_one_line(tmp_path, error_line):
    from deeptasks.cli import main

    argv = ["train", "denoising", "--preset", "smoke", "--set", "data.noise=realistic"]
    assert main([*argv, "--workdir", str(tmp_path / "r")]) == 2
    assert "data.color=true" in error_line()
    assert not (tmp_path / "r").exists()  # refused before anything was written
