import json

import keras
import numpy as np
import pytest
import tensorflow as tf
from PIL import Image

import deeptasks
from deeptasks.cli import main
from deeptasks.datasets import scenes
from deeptasks.errors import UserError
from deeptasks.tasks.segmentation import data
from deeptasks.tasks.segmentation.models import backbone_variables

TASK = deeptasks.get_task("segmentation")
CLASSES = 7  # background + the six drawn shapes of the smoke preset


def _cfg(*overrides):
    return TASK.config("smoke", list(overrides))


def _regions(seed: int, size: int = 96):
    """A picture of flat 8 x 8 blocks whose mask is a function of its colour."""
    rng = np.random.default_rng(seed)
    mask = np.kron(rng.integers(0, 4, (size // 8, size // 8)), np.ones((8, 8), int))
    image = np.stack([mask * 60, 255 - mask * 60, np.full_like(mask, 90)], -1)
    return image.astype(np.uint8), mask.astype(np.uint8)


def _mask_of(image) -> np.ndarray:
    return np.clip(np.round(np.asarray(image, np.float32)[..., 0] / 60), 0, 3).astype(np.uint8)


def test_augmentation_keeps_image_and_mask_aligned():
    image, mask = _regions(0)
    outputs = []
    for seed in range(6):
        # crops of exactly 48 px shown at 48 px: flips and crop positions, no resampling
        out_image, out_mask = data.augment(image, mask, tf.constant([seed, 1]), 48, (0.5, 0.5))
        np.testing.assert_array_equal(_mask_of(out_image), out_mask.numpy())
        outputs.append(out_mask.numpy())
        # rescaled crops: bilinear image and nearest mask agree away from block edges
        out_image, out_mask = data.augment(image, mask, tf.constant([seed, 2]), 64, (0.4, 1.0))
        assert out_image.shape == (64, 64, 3) and out_mask.dtype == tf.uint8
        assert np.mean(_mask_of(out_image) == out_mask.numpy()) > 0.9
    assert len({o.tobytes() for o in outputs}) > 1  # the transform really varies


def test_augmentation_is_the_same_eagerly_and_in_tf_data():
    image, mask = _regions(1)
    seed = tf.constant([3, 4], tf.int64)
    eager = data.augment(image, mask, seed, 64)
    mapped = next(
        iter(
            tf.data.Dataset.from_tensors((image, mask, seed)).map(
                lambda i, m, s: data.augment(i, m, s, 64)
            )
        )
    )
    for a, b in zip(eager, mapped):
        np.testing.assert_allclose(a.numpy(), b.numpy(), atol=1e-4)


def test_training_batches_hold_scene_masks():
    cfg = _cfg()
    x, y = next(iter(TASK.build_dataset(cfg, "train")))
    assert x.shape == (4, 64, 64, 3) and y.shape == (4, 64, 64) and y.dtype == tf.int32
    values = np.unique(y.numpy())
    assert values.min() == 0 and values.max() < CLASSES and len(values) > 1
    val_x, val_y = next(iter(TASK.build_dataset(cfg, "val")))
    assert val_x.shape == (4, 64, 64, 3) and val_y.shape == (4, 64, 64)


@pytest.mark.parametrize("name", ["unet", "fcn", "deeplabv3plus"])
def test_models_save_and_load_with_safe_mode(name, tmp_path):
    cfg = _cfg(f"model.name={name}")
    model = TASK.build_model(cfg)
    images = data.normalise(np.random.default_rng(0).integers(0, 255, (2, 64, 64, 3)))
    assert model.output_shape == (None, 64, 64, CLASSES)
    model.save(tmp_path / "m.keras")
    loaded = keras.saving.load_model(tmp_path / "m.keras", safe_mode=True)
    np.testing.assert_allclose(np.asarray(model(images)), np.asarray(loaded(images)), atol=1e-4)


@pytest.mark.slow  # ~20 s: two fits of DeepLabV3+
def test_deeplab_fine_tunes_a_local_preset_head_first(tmp_path):
    import keras_hub

    from deeptasks.common.backbones import ENCODERS

    encoder = keras_hub.models.ResNetBackbone(**ENCODERS["resnet_tiny"])
    encoder.save_to_preset(str(tmp_path / "preset"))
    reference = [np.asarray(v).copy() for v in encoder.trainable_variables]
    cfg = _cfg(
        "model.name=deeplabv3plus",
        f"model.backbone_preset={tmp_path / 'preset'}",
        "model.head_epochs=1",
        "train.batch_size=2",
    )
    keras.utils.set_random_seed(5)  # a fresh encoder would now get other weights
    model = TASK.build_model(cfg)
    loaded = [np.asarray(v) for v in backbone_variables(model)]
    assert all(np.array_equal(a, b) for a, b in zip(reference, loaded))
    head = [np.asarray(v).copy() for v in model.get_layer("segmentation_output").weights]
    dataset = TASK.build_dataset(cfg, "train")
    fit = dict(steps_per_epoch=1, callbacks=TASK.extra_callbacks(cfg), verbose=0)
    model.fit(dataset, epochs=1, **fit)
    after_one = [np.asarray(v).copy() for v in backbone_variables(model)]
    assert all(np.array_equal(a, b) for a, b in zip(reference, after_one))
    changed = [np.asarray(v) for v in model.get_layer("segmentation_output").weights]
    assert any(not np.array_equal(a, b) for a, b in zip(head, changed))
    model.fit(dataset, epochs=2, initial_epoch=1, **fit)
    after_two = [np.asarray(v) for v in backbone_variables(model)]
    assert any(not np.array_equal(a, b) for a, b in zip(after_one, after_two))


def _mask_folder(tmp_path, count=12):
    source = scenes.scene_source("shapes", "val", 0)
    images, masks = tmp_path / "images", tmp_path / "masks"
    images.mkdir()
    masks.mkdir()
    for index in range(count):
        scene = source.render(index)
        Image.fromarray(scene.image[:200]).save(images / f"img{index:02d}.jpg")
        Image.fromarray(scene.semantic[:200]).save(masks / f"img{index:02d}.png")
    return images, masks


def test_folder_source(tmp_path):
    images, masks = _mask_folder(tmp_path)
    cfg = _cfg("data.source=folder", f"data.image_dir={images}", f"data.mask_dir={masks}")
    names = data.class_names(cfg)
    assert names[0] == "background" and 2 <= len(names) <= CLASSES
    tests = list(data.test_examples(cfg))
    assert len(tests) == 2 and tests[0][2].shape == (200, 256)  # masks keep their size
    x, y = next(iter(TASK.build_dataset(cfg, "train")))
    assert x.shape == (4, 64, 64, 3) and int(tf.reduce_max(y)) < len(names)


def test_folder_source_mismatches_are_one_clear_error(tmp_path):
    images, masks = _mask_folder(tmp_path, 4)
    args = ["--set", "data.source=folder", "--set", f"data.image_dir={images}"]
    args += ["--set", f"data.mask_dir={masks}"]
    Image.fromarray(np.zeros((10, 10), np.uint8)).save(masks / "img01.png")
    with pytest.raises(UserError, match="must match"):
        data.class_names(_cfg(*args[1::2]))
    (masks / "img01.png").unlink()
    assert main(["data", "segmentation", "--preset", "smoke", *args]) == 2
    with pytest.raises(UserError, match="have no mask"):
        data.class_names(_cfg(*args[1::2]))


@pytest.mark.parametrize(
    "overrides, message",
    [
        (["data.source=folder"], "needs data.image_dir"),
        (["data.source=voc"], "needs data.voc_dir"),
        (["data.image_size=100"], "multiple of 32"),
        (["data.crop_scale=0.5,1.5"], "crop_scale"),
        (["data.crop_scale=0.5,0.7,0.9"], "crop_scale"),
        (["model.name=segformer"], "segformer"),
        (["train.loss=focal"], "train.loss must be one of default, cross_entropy, dice_ce"),
    ],
)
def test_bad_configs_are_refused(overrides, message):
    with pytest.raises(UserError, match=message):
        _cfg(*overrides)


def test_tfds_pets_offline_is_one_clear_error(tmp_path):
    cfg = _cfg("data.source=oxford_iiit_pet", f"data.tfds_data_dir={tmp_path}")
    assert data.class_names(cfg) == ["background", "pet"]
    with pytest.raises(UserError, match="oxford_iiit_pet is not prepared"):
        TASK.build_dataset(cfg, "test")


@pytest.fixture(scope="module")
def cli_run(train_smoke):
    return train_smoke("segmentation")


def test_cli_run_writes_miou_beside_baselines_and_samples(cli_run, capsys):
    metrics = json.loads((cli_run / "metrics.json").read_text())
    test = metrics["test"]
    assert set(test["model"]) == {"miou", "pixel_accuracy", "foreground_iou"}
    assert test["baseline_name"] == "all_background"
    assert set(test["baselines"]) == {"all_background", "colour_bayes"}
    # all background: background is the only class with a nonzero IoU
    background = test["baselines"]["all_background"]["pixel_accuracy"]
    assert 0 < test["baseline"]["miou"] < background
    assert list(test["per_class_iou"]) == metrics["data"]["classes"]
    samples = sorted((cli_run / "samples").glob("*.png"))
    assert len(samples) == 4 and all(p.stat().st_size > 5_000 for p in samples)
    capsys.readouterr()
    assert main(["evaluate", "--workdir", str(cli_run)]) == 0
    out = capsys.readouterr().out
    assert "miou" in out and out.index("test split:") < out.index("novel split:")
    novel = json.loads((cli_run / "metrics.json").read_text())["novel"]
    assert set(novel["model"]) == set(test["model"]) and novel["images"] == test["images"]


def test_cli_predict_writes_masks_and_overlays(cli_run, tmp_path):
    rng = np.random.default_rng(0)
    Image.fromarray(rng.integers(0, 255, (90, 150, 3), np.uint8)).save(tmp_path / "a.png")
    Image.fromarray(rng.integers(0, 255, (60, 40), np.uint8), "L").save(tmp_path / "b.png")
    out = tmp_path / "out"
    args = ["predict", "--workdir", str(cli_run), str(tmp_path / "a.png"), str(tmp_path / "b.png")]
    assert main([*args, "-o", str(out)]) == 0
    for name, size in (("a", (150, 90)), ("b", (40, 60))):
        with Image.open(out / f"{name}_mask.png") as mask:
            assert mask.size == size and mask.mode == "P"
            assert np.asarray(mask).max() < CLASSES
        with Image.open(out / f"{name}_overlay.png") as picture:
            assert picture.size == size and picture.mode == "RGB"
    before = (out / "a_mask.png").read_bytes()
    assert main([*args, "-o", str(out)]) == 2  # outputs exist: no silent overwrite
    assert (out / "a_mask.png").read_bytes() == before


def test_cli_predict_unreadable_image_one_line(cli_run, tmp_path, error_line):
    (tmp_path / "bad.png").write_text("not an image")
    args = ["predict", "--workdir", str(cli_run), str(tmp_path / "bad.png"), "-o", str(tmp_path)]
    assert main(args) == 2
    assert "not a readable image" in error_line()
    assert not list(tmp_path.glob("*_mask.png"))


def test_voc_folder_source_splits_and_void(tmp_path):
    root = tmp_path / "VOC2012"
    for sub in ("JPEGImages", "SegmentationClass", "ImageSets/Segmentation"):
        (root / sub).mkdir(parents=True)
    names = [f"2007_{i:06d}" for i in range(23)]
    for name in names:
        Image.fromarray(np.full((40, 50, 3), 90, np.uint8)).save(
            root / "JPEGImages" / f"{name}.jpg"
        )
        mask = np.zeros((40, 50), np.uint8)
        mask[10:20, 10:30], mask[9, :] = 15, 255  # a person with a void border
        Image.fromarray(mask).save(root / "SegmentationClass" / f"{name}.png")
    (root / "ImageSets/Segmentation/train.txt").write_text("\n".join(names[:20]))
    (root / "ImageSets/Segmentation/val.txt").write_text("\n".join(names[20:]))
    cfg = _cfg("data.source=voc", f"data.voc_dir={root}", "data.test_images=0")
    assert len(data.class_names(cfg)) == 21 and data.class_names(cfg)[15] == "person"
    counts = {s: sum(1 for _ in data.examples(cfg, s)) for s in ("train", "val", "test")}
    assert counts == {"train": 18, "val": 2, "test": 3}
    _, mask = next(iter(data.examples(cfg, "test")))
    assert set(np.unique(mask.numpy())) == {0, 15, 255}
    _, y = next(iter(TASK.build_dataset(cfg, "val")))
    assert set(np.unique(y.numpy())) <= {0, 15, 255}
