import json
import os
import subprocess
import sys

import numpy as np
import pytest
from PIL import Image

from deeptasks.cli import main


@pytest.fixture(scope="module")
def run_dir(train_smoke):
    return train_smoke("super_resolution")


def test_train_writes_the_run_directory(run_dir):
    for name in (
        "config.json",
        "model.keras",
        "metrics.json",
        "history.csv",
        "checkpoints/best.weights.h5",
        "tensorboard",
    ):
        assert (run_dir / name).exists(), name
    assert not (run_dir / "backup").exists()  # removed once training completed
    metrics = json.loads((run_dir / "metrics.json").read_text())
    assert metrics["task"] == "super_resolution" and metrics["preset"] == "smoke"
    assert set(metrics["test"]["model"]) == {"psnr_y", "ssim_y"}
    assert metrics["test"]["baseline"]["psnr_y"] > 20
    assert metrics["data"]["splits"]["test"] == 2 and metrics["epochs"] == 2
    assert metrics["train_samples_per_second"] > 0
    samples = list((run_dir / "samples").glob("*.png"))
    assert len(samples) == 2 and all(p.stat().st_size > 10_000 for p in samples)


def test_finished_run_is_not_overwritten(run_dir, error_line):
    before = (run_dir / "metrics.json").read_text()
    assert main(["train", "super_resolution", "--preset", "smoke", "--workdir", str(run_dir)]) == 2
    assert "already holds a finished run" in error_line()
    assert (run_dir / "metrics.json").read_text() == before


def test_other_task_config_is_refused(run_dir, tmp_path, error_line):
    other = tmp_path / "other"
    other.mkdir()
    config = json.loads((run_dir / "config.json").read_text())
    config["task"] = "denoising"
    (other / "config.json").write_text(json.dumps(config))
    assert main(["train", "super_resolution", "--preset", "smoke", "--workdir", str(other)]) == 2
    assert "holds a denoising run" in error_line()


def test_evaluate_prints_model_vs_bicubic(run_dir, capsys):
    assert main(["evaluate", "--workdir", str(run_dir)]) == 0
    out = capsys.readouterr().out
    assert "psnr_y" in out and "bicubic" in out


def test_predict_handles_rgb_grey_rgba_and_large_images(run_dir, tmp_path, error_line):
    rng = np.random.default_rng(0)
    Image.fromarray(rng.integers(0, 255, (40, 50, 3), np.uint8)).save(tmp_path / "rgb.png")
    Image.fromarray(rng.integers(0, 255, (30, 20), np.uint8), "L").save(tmp_path / "grey.png")
    Image.fromarray(rng.integers(0, 255, (24, 24, 4), np.uint8), "RGBA").save(tmp_path / "rgba.png")
    Image.fromarray(rng.integers(0, 255, (230, 410, 3), np.uint8)).save(tmp_path / "big.jpg")
    out = tmp_path / "out"
    inputs = [str(tmp_path / n) for n in ("rgb.png", "grey.png", "rgba.png", "big.jpg")]
    assert main(["predict", "--workdir", str(run_dir), *inputs, "-o", str(out)]) == 0
    expected = {
        "rgb_x3.png": ((150, 120), "RGB"),
        "grey_x3.png": ((60, 90), "L"),
        "rgba_x3.png": ((72, 72), "RGBA"),
        "big_x3.png": ((1230, 690), "RGB"),
    }
    for name, (size, mode) in expected.items():
        with Image.open(out / name) as img:
            assert (img.size, img.mode) == (size, mode), name
    stamp = (out / "rgb_x3.png").read_bytes()
    assert main(["predict", "--workdir", str(run_dir), inputs[0], "-o", str(out)]) == 2
    assert "--force" in error_line()
    assert (out / "rgb_x3.png").read_bytes() == stamp


@pytest.mark.parametrize(
    "make,expected",
    [
        (lambda p: p.write_text("hello"), "not a readable image"),
        (lambda p: None, "image not found"),
        (
            lambda p: (
                Image.new("CMYK", (8, 8)).save(p.with_suffix(".jpg"))
                or p.write_bytes(p.with_suffix(".jpg").read_bytes())
            ),
            "unsupported image mode CMYK",
        ),
    ],
)
def test_predict_bad_input_one_line(run_dir, tmp_path, error_line, make, expected):
    path = tmp_path / "input.png"
    make(path)
    assert main(["predict", "--workdir", str(run_dir), str(path), "-o", str(tmp_path / "o")]) == 2
    assert expected in error_line()
    assert not (tmp_path / "o").exists()


def test_predict_options_of_other_tasks_are_refused(run_dir, tmp_path, error_line):
    Image.fromarray(np.zeros((8, 8, 3), np.uint8)).save(tmp_path / "a.png")
    argv = ["predict", "--workdir", str(run_dir), str(tmp_path / "a.png"), "--sigma", "5"]
    assert main(argv) == 2
    assert "--sigma does not apply to super_resolution" in error_line()


def test_export_savedmodel_serves(run_dir, tmp_path):
    import tensorflow as tf

    target = tmp_path / "saved"
    assert (
        main(["export", "--workdir", str(run_dir), "--format", "savedmodel", "-o", str(target)])
        == 0
    )
    served = tf.saved_model.load(str(target))
    out = served.serve(tf.zeros((1, 10, 12, 3)))
    assert tuple(out.shape) == (1, 30, 36, 3)


@pytest.mark.filterwarnings("ignore:.*tf.lite.Interpreter is deprecated")  # the test reads
# the file back with TF's own interpreter; LiteRT is not a dependency
def test_export_tflite_runs_any_size(run_dir, tmp_path):
    import tensorflow as tf

    target = tmp_path / "model.tflite"
    assert main(["export", "--workdir", str(run_dir), "--format", "tflite", "-o", str(target)]) == 0
    interpreter = tf.lite.Interpreter(model_path=str(target))
    index = interpreter.get_input_details()[0]["index"]
    interpreter.resize_tensor_input(index, [1, 10, 12, 3])
    interpreter.allocate_tensors()
    interpreter.set_tensor(index, np.zeros((1, 10, 12, 3), np.float32))
    interpreter.invoke()
    output = interpreter.get_tensor(interpreter.get_output_details()[0]["index"])
    assert output.shape == (1, 30, 36, 3)
    assert oct(target.stat().st_mode & 0o777) != "0o600"  # not left private by mkstemp


@pytest.mark.parametrize(
    "argv,expected",
    [
        (["train", "super_resolution", "--model", "resnet"], "unknown model 'resnet'"),
        (["train", "super_resolution", "--preset", "huge"], "unknown preset 'huge'"),
        (["train", "super_resolution", "--set", "train.epochs=many"], "expects an integer"),
        (["train", "super_resolution", "--set", "train.epoch=3"], "valid keys:"),
        (["train", "denoize"], "unknown task 'denoize'"),
        (["train", "super_resolution", "--epochs", "3"], "unrecognized arguments"),
        (["evaluate", "--workdir", "/nonexistent/run"], "no config at"),
    ],
)
def test_user_errors_exit_2_with_one_line(argv, expected, error_line):
    assert main(argv) == 2
    assert expected in error_line()


def test_real_process_error_has_no_traceback(tmp_path):
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "2"}
    done = subprocess.run(
        [sys.executable, "-m", "deeptasks", "train", "super_resolution", "--set", "data.scale=5"],
        capture_output=True,
        text=True,
        env=env,
        cwd=tmp_path,
        timeout=120,
    )
    assert done.returncode == 2
    assert done.stderr.strip().splitlines() == [
        "deeptasks: error: config key 'data.scale' must be one of 2, 3, 4; got 5"
    ]


def test_list_and_data(capsys):
    assert main(["list"]) == 0
    out = capsys.readouterr().out
    assert "super_resolution" in out and "edsr" in out and "smoke" in out
    assert main(["data", "super_resolution", "--preset", "smoke"]) == 0
    summary = json.loads(capsys.readouterr().out)
    assert summary["splits"] == {"train": 5, "val": 1, "test": 2}


def test_bench_prints_throughput(capsys):
    assert main(["bench", "super_resolution", "--preset", "smoke", "--repeats", "1"]) == 0
    out = capsys.readouterr().out
    for key in (
        "pipeline_patches_per_s",
        "train_step_patches_per_s",
        "inference_output_mpix_per_s",
    ):
        assert key in out
