import csv
import os
import signal
import subprocess
import sys
import time

import keras
import numpy as np
import pytest

import deeptasks
from deeptasks.common.training import make_optimizer, prepare_workdir
from deeptasks.errors import UserError

TASK = deeptasks.get_task("super_resolution")
ENV = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "2"}


def test_learning_rate_schedules():
    cfg = TASK.config("smoke", ["train.epochs=4", "train.steps_per_epoch=10"])
    cosine = make_optimizer(cfg.train).learning_rate
    assert float(keras.ops.convert_to_numpy(cosine)) == pytest.approx(1e-3)
    cfg.train.lr_schedule, cfg.train.lr_step_epochs = "step", 2
    schedule = make_optimizer(cfg.train)._learning_rate
    assert [float(schedule(s)) for s in (0, 20, 21, 39)] == pytest.approx([1e-3, 1e-3, 5e-4, 5e-4])


def test_unfinished_run_resumes_only_with_the_same_config(tmp_path):
    cfg = TASK.config("smoke")
    assert prepare_workdir(tmp_path, cfg, force=False) is False
    assert prepare_workdir(tmp_path, cfg, force=False) is True
    other = TASK.config("smoke", ["train.epochs=9"])
    with pytest.raises(UserError, match="different config"):
        prepare_workdir(tmp_path, other, force=False)
    assert prepare_workdir(tmp_path, other, force=True) is False


MIRRORED = """
import tensorflow as tf
cpu = tf.config.list_physical_devices("CPU")[0]
tf.config.set_logical_device_configuration(cpu, [tf.config.LogicalDeviceConfiguration()] * 2)
import deeptasks
from deeptasks.common.training import train
task = deeptasks.get_task("super_resolution")
cfg = task.config("smoke", ["runtime.strategy=mirrored", "runtime.devices=/cpu:0,/cpu:1"])
_, metrics = train(task, cfg, r"{workdir}", verbose=0)
print("REPLICAS", metrics["replicas"], metrics["epochs"])
"""


def test_mirrored_strategy_on_two_logical_cpus(tmp_path):
    done = subprocess.run(
        [sys.executable, "-c", MIRRORED.format(workdir=tmp_path / "run")],
        capture_output=True,
        text=True,
        env=ENV,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert "REPLICAS 2 2" in done.stdout


def test_killed_run_resumes_and_finishes(tmp_path):
    workdir = tmp_path / "run"
    command = [
        sys.executable,
        "-m",
        "deeptasks",
        "train",
        "super_resolution",
        "--preset",
        "smoke",
        "--set",
        "train.epochs=5",
        "--set",
        "train.steps_per_epoch=20",
        "--workdir",
        str(workdir),
    ]
    first = subprocess.Popen(command, env=ENV, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    history = workdir / "history.csv"
    deadline = time.time() + 240
    while time.time() < deadline and first.poll() is None:
        if history.exists() and len(history.read_text().splitlines()) >= 3:  # 2 epochs logged
            break
        time.sleep(0.2)
    assert first.poll() is None, "training ended before it could be killed"
    first.send_signal(signal.SIGKILL)
    first.wait()
    done_before = len(history.read_text().splitlines()) - 1
    assert (workdir / "backup").exists() and not (workdir / "metrics.json").exists()
    second = subprocess.run(command, env=ENV, capture_output=True, text=True, timeout=300)
    assert second.returncode == 0, second.stderr[-2000:]
    with open(history) as handle:
        epochs = [int(row["epoch"]) for row in csv.DictReader(handle)]
    assert epochs == list(range(5)) and done_before >= 2
    assert (workdir / "metrics.json").exists() and not (workdir / "backup").exists()
    model = keras.saving.load_model(workdir / "model.keras", safe_mode=True)
    assert model(np.zeros((1, 8, 8, 3), "float32")).shape == (1, 24, 24, 3)
