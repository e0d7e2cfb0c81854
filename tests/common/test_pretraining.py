"""deeptasks pretrain: crops of the scenes corpus -> a keras-hub encoder preset that
detection and segmentation load (not re-initialised) through model.backbone_preset."""

import json

import keras
import numpy as np
import pytest

import deeptasks
from deeptasks.cli import main
from deeptasks.datasets import scenes
from deeptasks.tasks.base import model_spec


@pytest.fixture(scope="module")
def pretrained(tmp_path_factory):
    """The run folder of ``deeptasks pretrain --preset smoke`` (checked to succeed)."""
    workdir = tmp_path_factory.mktemp("pretrain")
    assert main(["pretrain", "--preset", "smoke", "--workdir", str(workdir)]) == 0
    return workdir


def test_crops_are_fixed_labelled_and_show_their_object():
    source = scenes.scene_source("shapes", "train", 0)
    crops = [source.crop(i, 48) for i in range(40)]
    again = source.crop(7, 48)
    np.testing.assert_array_equal(crops[7][0], again[0])
    assert crops[7][1] == again[1]
    labels = {label for _, label in crops}
    assert 0 in labels and len(labels) >= 4  # background and several classes
    assert all(image.shape == (48, 48, 3) and image.dtype == np.uint8 for image, _ in crops)
    assert all(0 <= label <= len(source.classes) for _, label in crops)
    # training crops are not the validation split's (other backgrounds, other stream)
    val = scenes.scene_source("shapes", "val", 0).crop(7, 48)[0]
    assert not np.array_equal(val, crops[7][0])


def test_pretrain_writes_a_preset_and_scores_every_protocol(pretrained, capsys):
    metrics = json.loads((pretrained / "metrics.json").read_text())
    assert set(metrics["accuracy"]) == {"val", "test", "novel"}
    for scores in metrics["accuracy"].values():
        assert 0.0 <= scores["accuracy"] <= 1.0 and scores["crops"] == 16
    assert metrics["classes"][0] == "background"
    assert (pretrained / "preset" / "model.weights.h5").is_file()
    assert not list(pretrained.glob(".preset-*"))  # the temporary folder is gone


def test_pretrained_weights_are_trained_and_loaded_by_both_tasks(pretrained):
    import keras_hub

    from deeptasks.common import backbones

    preset = pretrained / "preset"
    encoder = keras_hub.models.Backbone.from_preset(str(preset))
    saved = [np.asarray(v) for v in encoder.trainable_variables]
    keras.utils.set_random_seed(0)  # the seed pretraining started from: its initial weights
    fresh = backbones.image_encoder("resnet_tiny", "", 0)
    assert any(not np.allclose(a, np.asarray(b)) for a, b in zip(saved, fresh.trainable_variables))
    for task_name, model in (("detection", "centernet"), ("segmentation", "deeplabv3plus")):
        task = deeptasks.get_task(task_name)
        cfg = task.config("smoke", [f"model.name={model}", f"model.backbone_preset={preset}"])
        keras.utils.set_random_seed(7)  # a fresh encoder would get other weights
        built = task.build_model(cfg)
        loaded = [np.asarray(v) for v in model_spec(cfg).backbone_variables(built)]
        assert len(loaded) == len(saved)
        assert all(np.array_equal(a, b) for a, b in zip(saved, loaded)), task_name


def test_an_existing_preset_is_not_overwritten(pretrained, error_line):
    before = (pretrained / "preset" / "model.weights.h5").read_bytes()
    assert main(["pretrain", "--preset", "smoke", "--workdir", str(pretrained)]) == 2
    assert "pass --force" in error_line()
    assert (pretrained / "preset" / "model.weights.h5").read_bytes() == before


@pytest.mark.parametrize(
    "argv,expected",
    [
        (["--preset", "huge"], "unknown preset 'huge' for pretrain"),
        (["--crop-size", "8"], "crop size >= 32"),
        (["--backbone", "vgg"], "unknown backbone 'vgg'"),
    ],
)
def test_bad_pretrain_options_are_one_clear_error(argv, expected, error_line, tmp_path):
    argv = ["pretrain", "--preset", "smoke", "--workdir", str(tmp_path / "run"), *argv]
    assert main(argv) == 2
    assert expected in error_line()
    assert not (tmp_path / "run" / "preset").exists()
