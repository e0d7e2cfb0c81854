import json

import pytest

import deeptasks
from deeptasks.common.io import write_json
from deeptasks.config import apply_overrides, read_config_file, update_from_dict
from deeptasks.errors import UserError


@pytest.fixture()
def cfg():
    return deeptasks.get_task("super_resolution").config("smoke")


def test_overrides_are_typed(cfg):
    apply_overrides(
        cfg,
        [
            "train.epochs=7",
            "train.learning_rate=2e-4",
            "runtime.jit_compile=true",
            "data.train_scales=2,3,4",
            "model.name=vdsr",
        ],
    )
    assert cfg.train.epochs == 7 and isinstance(cfg.train.epochs, int)
    assert cfg.train.learning_rate == pytest.approx(2e-4)
    assert cfg.runtime.jit_compile is True
    assert cfg.data.train_scales == (2, 3, 4)
    assert cfg.model.name == "vdsr"


def test_unknown_key_lists_valid_keys(cfg):
    with pytest.raises(UserError) as err:
        apply_overrides(cfg, ["train.epoch=3"])
    message = str(err.value)
    assert "train.epoch'" in message and "train.epochs" in message and "\n" not in message


@pytest.mark.parametrize(
    "item,expected",
    [
        ("train.epochs=three", "expects an integer"),
        ("train.epochs=2.5", "expects an integer"),
        ("train.learning_rate=fast", "expects a number"),
        ("runtime.jit_compile=maybe", "true or false"),
        ("data.scale=5", "must be one of"),
        ("train.epochs", "section.field=value"),
    ],
)
def test_bad_values_name_the_expected_type(cfg, item, expected):
    with pytest.raises(UserError, match=expected):
        apply_overrides(cfg, [item])


def test_config_round_trip(cfg, tmp_path):
    apply_overrides(cfg, ["train.epochs=3", "data.train_scales=2,4"])
    write_json(tmp_path / "config.json", cfg.to_dict())
    values = read_config_file(tmp_path / "config.json")
    fresh = deeptasks.get_task("super_resolution").config("smoke")
    loaded = update_from_dict(fresh, values)
    assert loaded == cfg


def test_loaded_config_is_type_checked(cfg, tmp_path):
    values = cfg.to_dict()
    values["train"]["epochs"] = "ten"
    (tmp_path / "config.json").write_text(json.dumps(values))
    with pytest.raises(UserError, match="train.epochs"):
        update_from_dict(cfg, read_config_file(tmp_path / "config.json"))


def test_unknown_preset_and_model():
    task = deeptasks.get_task("super_resolution")
    with pytest.raises(UserError, match="valid: smoke, default, benchmark"):
        task.config("huge")
    with pytest.raises(UserError, match="valid: srcnn, vdsr, espcn, edsr"):
        task.config("smoke", ["model.name=resnet"])
