import json

import keras
import numpy as np
import pytest
import tensorflow as tf
from PIL import Image

import deeptasks
from deeptasks.cli import main
from deeptasks.common.losses import YoloGridLoss
from deeptasks.datasets import scenes
from deeptasks.errors import UserError
from deeptasks.tasks.detection import centernet, data
from deeptasks.tasks.detection.inference import detect
from deeptasks.tasks.detection.models import backbone_variables, grid_targets, yolo_boxes

TASK = deeptasks.get_task("detection")


def _cfg(*overrides):
    return TASK.config("smoke", list(overrides))


def test_grid_targets_put_each_box_in_its_centre_cell():
    boxes = tf.constant([[32.0, 0.0, 96.0, 16.0], [-1, -1, -1, -1]])
    labels = tf.constant([2, -1])
    target = grid_targets(boxes, labels, grid=4, classes=3, size=128).numpy()
    assert target.shape == (4, 4, 8) and target[..., 0].sum() == 1
    # centre (64, 8): cell (2, 0), offsets (0, 0.25); sqrt sizes sqrt(64/128), sqrt(16/128)
    np.testing.assert_allclose(
        target[2, 0], [1, 0.0, 0.25, 0.5**0.5, 0.125**0.5, 0, 0, 1], rtol=1e-6
    )


def _yolo_output(target, boxes_per_cell=2, wrong=False):
    """Raw logits whose first box reproduces ``target`` (and the second is unconfident)."""
    logit = lambda p: np.log(np.clip(p, 1e-4, 1 - 1e-4) / (1 - np.clip(p, 1e-4, 1 - 1e-4)))  # noqa: E731
    out = np.full(target.shape[:-1] + (boxes_per_cell * 5 + target.shape[-1] - 5,), -9.0)
    geometry = target[..., 1:5] if not wrong else np.clip(target[..., 1:5] + 0.3, 0, 1)
    out[..., 0] = np.where(target[..., 0] > 0, 9.0, -9.0)
    out[..., 1:5] = logit(geometry)
    out[..., 10:] = np.where(target[..., 5:] > 0, 9.0, -9.0)
    return out.astype(np.float32)


def test_yolo_loss_is_small_for_the_right_answer_and_weights_coordinates():
    boxes = tf.constant([[32.0, 0.0, 96.0, 48.0]])
    target = grid_targets(boxes, tf.constant([1]), grid=4, classes=3, size=128).numpy()[None]
    loss = YoloGridLoss(2, coord_weight=5.0, noobj_weight=0.5)
    right = float(loss(target, _yolo_output(target)))
    wrong = float(loss(target, _yolo_output(target, wrong=True)))
    assert right < 0.05 and wrong > right + 0.5
    # the coordinate error is weighted by lambda_coord: doubling it adds 5 x the error
    heavier = float(YoloGridLoss(2, coord_weight=10.0)(target, _yolo_output(target, wrong=True)))
    cell = target[0][target[0, ..., 0] > 0][0]
    geometry_error = float(np.sum((np.clip(cell[1:5] + 0.3, 0, 1) - cell[1:5]) ** 2))
    assert heavier - wrong == pytest.approx(5.0 * geometry_error, rel=0.02)


def test_centre_targets_decode_back_to_the_true_boxes_and_score_the_right_answer():
    boxes = tf.constant([[10.0, 20.0, 50.0, 100.0], [-1, -1, -1, -1]])
    target = centernet.centre_targets(boxes, tf.constant([2, -1]), 3, 128, 8).numpy()
    assert target.shape == (16, 16, 3 + 5)
    # centre (30, 60) / 8 = (3.75, 7.5): cell (3, 7), offset (0.75, 0.5), size 5 x 10 cells
    np.testing.assert_array_equal(np.argwhere(target[..., 2] == 1), [[3, 7]])
    np.testing.assert_allclose(target[3, 7, 3:], [np.log(5), np.log(10), 0.75, 0.5, 1], 1e-6)
    assert target[..., :2].max() == 0 and 0 < target[3, 8, 2] < 1  # a bump, one class
    clipped = np.clip(target[..., :3], 1e-6, 1 - 1e-6)
    right = np.concatenate([np.log(clipped / (1 - clipped)), target[..., 3:7]], -1)[None]
    found, scores = centernet.centre_boxes(right.astype(np.float32), 3, 8)
    best = int(np.argmax(np.max(scores[0], axis=-1)))
    np.testing.assert_allclose(np.asarray(found[0, best]), [10, 20, 50, 100], atol=1e-3)
    assert int(np.argmax(scores[0, best])) == 2
    # peaks only: the bump's neighbours are zeroed
    assert int(np.sum(np.asarray(scores[0]) > 0.5)) == 1
    loss = centernet.CentreNetLoss(3)
    wrong = right.copy()
    wrong[..., 3:5] += 0.5  # boxes 1.6x too big
    assert float(loss(target[None], right)) < 0.05 < float(loss(target[None], wrong)) - 0.9


def test_yolo_decoding_gives_pixel_boxes():
    cfg = _cfg("model.name=yolo")  # a 4 x 4 grid on 128 px, 6 classes
    boxes = tf.constant([[32.0, 0.0, 96.0, 48.0]])
    target = grid_targets(boxes, tf.constant([1]), cfg.model.grid, 6, 128).numpy()[None]
    decoded, scores = yolo_boxes(cfg.model, cfg.data.image_size, _yolo_output(target))
    best = int(np.argmax(np.asarray(scores).max(-1)[0]))
    np.testing.assert_allclose(np.asarray(decoded)[0, best], [32, 0, 96, 48], atol=0.5)
    assert int(np.argmax(np.asarray(scores)[0, best])) == 1


def test_retinanet_training_targets_decode_back_to_the_true_boxes():
    cfg = _cfg()
    model = TASK.build_model(cfg)
    images = tf.zeros([1, 128, 128, 3])
    truth = tf.constant([[[20.0, 30.0, 70.0, 60.0], [64.0, 10.0, 120.0, 120.0], [-1, -1, -1, -1]]])
    deltas, classes = model.label_encoder(images, truth, tf.constant([[1.0, 4.0, -1.0]]))
    # a "prediction" that is exactly the training target: confident where matched
    logits = tf.where(tf.one_hot(tf.cast(classes, tf.int32), 6) > 0, 9.0, -9.0)
    found = model.decode_predictions({"bbox_regression": deltas, "cls_logits": logits}, images)
    count = int(found["num_detections"][0])
    boxes, labels = found["boxes"][0][:count].numpy(), found["labels"][0][:count].numpy()
    for box, label in zip(truth[0].numpy()[:2], (1, 4)):
        hits = np.abs(boxes - box).max(axis=1) < 0.5
        assert hits.any() and set(labels[hits]) == {label}


def test_retinanet_starts_at_the_focal_loss_prior():
    # keras-hub puts the prior-probability bias on the box head; ours moves it back
    model = TASK.build_model(_cfg())
    images = data.normalise(np.random.default_rng(0).integers(0, 255, (2, 128, 128, 3)))
    out = model(images)
    probs = keras.ops.convert_to_numpy(keras.ops.sigmoid(out["cls_logits"]))
    assert np.median(probs) == pytest.approx(0.01, abs=0.005) and probs.max() < 0.2
    # box deltas start near 0 (the anchor itself), not at -4.6 (a box 1% of its anchor)
    assert abs(float(np.median(keras.ops.convert_to_numpy(out["bbox_regression"])))) < 0.5


def test_letterbox_keeps_aspect_and_scales_boxes():
    image = tf.zeros([100, 200, 3], tf.uint8)
    boxes = tf.constant([[10.0, 20.0, 50.0, 180.0]])
    out, scaled, labels = data.letterbox(image, boxes, tf.constant([3]), 128, 4)
    assert out.shape == (128, 128, 3)
    np.testing.assert_allclose(scaled.numpy()[0], [6.4, 12.8, 32.0, 115.2], rtol=1e-5)
    assert (scaled.numpy()[1:] == -1).all() and labels.numpy().tolist() == [3, -1, -1, -1]


@pytest.mark.parametrize("name", ["retinanet", "centernet", "yolo"])
def test_models_save_and_load_with_safe_mode(name, tmp_path):
    cfg = _cfg(f"model.name={name}")
    model = TASK.build_model(cfg)
    images = data.normalise(np.random.default_rng(0).integers(0, 255, (2, 128, 128, 3)))
    model.save(tmp_path / "m.keras")
    loaded = keras.saving.load_model(tmp_path / "m.keras", safe_mode=True)
    for a, b in zip(keras.tree.flatten(model(images)), keras.tree.flatten(loaded(images))):
        np.testing.assert_allclose(np.asarray(a), np.asarray(b), atol=1e-4)
    found = detect(loaded, cfg, np.asarray(images))
    assert len(found) == 2 and all(len(b) == len(s) == len(lab) for b, s, lab in found)


def test_dataset_elements_fit_every_model():
    for name in ("retinanet", "centernet", "yolo"):
        cfg = _cfg(f"model.name={name}")
        x, y = next(iter(TASK.build_dataset(cfg, "train")))
        assert x.shape == (4, 128, 128, 3)
        if name == "yolo":
            assert y.shape == (4, 4, 4, 5 + 6)
        elif name == "centernet":  # a 16 x 16 map at stride 8: 6 heatmaps, 5 box channels
            assert y.shape == (4, 16, 16, 6 + 5)
            # every scene has an object: a centre cell (heatmap exactly 1) under a mask of 1
            assert (y.numpy()[..., 6 + 4].sum(axis=(1, 2)) >= 1).all()
            assert (y.numpy()[..., :6].max(axis=(1, 2, 3)) == 1).all()
        else:
            assert y["boxes"].shape == (4, 8, 4) and y["labels"].shape == (4, 8)
            valid = y["labels"].numpy() >= 0
            assert valid.any(axis=1).all()  # every scene has an object
            assert (y["boxes"].numpy()[valid] <= 128).all()


def test_pretrained_backbone_from_a_local_preset_is_loaded_then_fine_tuned(tmp_path):
    import keras_hub

    from deeptasks.tasks.detection.models import ENCODERS

    encoder = keras_hub.models.ResNetBackbone(**ENCODERS["resnet_tiny"])
    encoder.save_to_preset(str(tmp_path / "preset"))
    reference = [w.copy() for w in encoder.get_weights()]
    cfg = _cfg(f"model.backbone_preset={tmp_path / 'preset'}", "model.head_epochs=1")
    keras.utils.set_random_seed(5)  # a fresh encoder would now get other weights
    model = TASK.build_model(cfg)
    loaded = [np.asarray(v) for v in model.backbone.image_encoder.weights]
    assert all(np.array_equal(a, b) for a, b in zip(reference, loaded))
    # epoch 1 trains the head only; epoch 2 the backbone too (at a lower rate)
    head = [np.asarray(v).copy() for v in model.get_layer("classification_head").weights]
    dataset = TASK.build_dataset(cfg, "train")
    model.fit(dataset, epochs=1, steps_per_epoch=2, callbacks=TASK.extra_callbacks(cfg), verbose=0)
    after_one = [np.asarray(v).copy() for v in backbone_variables(model)]
    trainable_reference = [np.asarray(v) for v in encoder.trainable_variables]
    assert all(np.array_equal(a, b) for a, b in zip(trainable_reference, after_one))
    changed = [np.asarray(v) for v in model.get_layer("classification_head").weights]
    assert any(not np.array_equal(a, b) for a, b in zip(head, changed))
    model.fit(
        dataset,
        epochs=2,
        initial_epoch=1,
        steps_per_epoch=2,
        callbacks=TASK.extra_callbacks(cfg),
        verbose=0,
    )
    after_two = [np.asarray(v) for v in backbone_variables(model)]
    assert any(not np.array_equal(a, b) for a, b in zip(after_one, after_two))


def test_missing_preset_folder_is_one_clear_error(tmp_path):
    cfg = _cfg(f"model.backbone_preset={tmp_path / 'nope'}/")
    with pytest.raises(UserError, match="preset folder not found"):
        TASK.build_model(cfg)


def _coco_folder(tmp_path, count=12):
    source = scenes.scene_source("shapes", "val", 0)
    images, annotations = [], []
    for index in range(count):
        scene = source.render(index)
        name = f"img{index}.png"
        Image.fromarray(scene.image[:200]).save(tmp_path / name)  # not square
        images.append({"id": index + 100, "file_name": name, "height": 200, "width": 256})
        for box, label in zip(scene.boxes, scene.labels):
            y0, x0, y1, x1 = (float(v) for v in box)
            annotations.append(
                {
                    "id": len(annotations) + 1,
                    "image_id": index + 100,
                    "category_id": int(label) + 10,
                    "bbox": [x0, y0, x1 - x0, min(y1, 200) - y0],
                    "iscrowd": 0,
                }
            )
    categories = [{"id": i + 10, "name": n} for i, n in enumerate(source.classes)]
    path = tmp_path / "coco.json"
    path.write_text(
        json.dumps({"images": images, "annotations": annotations, "categories": categories})
    )
    return path


def test_coco_folder_source(tmp_path):
    path = _coco_folder(tmp_path)
    cfg = _cfg("data.source=coco", f"data.coco_json={path}", f"data.image_dir={tmp_path}")
    assert data.class_names(cfg) == list(scenes.corpus_info("shapes")["classes"])
    tests = list(data.test_examples(cfg))
    assert len(tests) == 2  # images 0 and 10 of 12
    x, y = next(iter(TASK.build_dataset(cfg, "train")))
    assert x.shape == (4, 128, 128, 3) and y["boxes"].shape == (4, 8, 4)
    bad = _cfg(
        "data.source=coco", f"data.coco_json={tmp_path / 'x.json'}", f"data.image_dir={tmp_path}"
    )
    with pytest.raises(UserError, match="not found"):
        data.class_names(bad)


@pytest.mark.parametrize(
    "overrides, message",
    [
        (["data.source=coco"], "needs data.coco_json"),
        (["data.image_size=100"], "multiple of 32"),
        (["data.source=lego"], "lego"),
    ],
)
def test_bad_configs_are_refused(overrides, message):
    with pytest.raises(UserError, match=message):
        _cfg(*overrides)


@pytest.fixture(scope="module")
def cli_run(train_smoke):
    return train_smoke("detection")


def test_cli_run_writes_coco_metrics_and_samples(cli_run):
    metrics = json.loads((cli_run / "metrics.json").read_text())
    assert set(metrics["test"]["model"]) == {"map_50_95", "map_50", "map_75", "recall"}
    assert metrics["test"]["baseline_name"] == "box_prior"
    assert metrics["test"]["baseline"]["recall"] > 0  # the priors do overlap some objects
    assert set(metrics["test"]["per_class_ap"]) == set(metrics["data"]["classes"])
    agnostic = metrics["test"]["class_agnostic"]
    assert set(agnostic) == set(metrics["test"]["model"]) and 0 <= agnostic["map_50"] <= 1
    assert metrics["data"]["difficulty"]["objects"] == [1, 4]
    # the novel object pictures are scored beside the headline, the same way
    novel = metrics["novel"]
    assert set(novel["model"]) == set(metrics["test"]["model"])
    assert novel["images"] == metrics["test"]["images"] == metrics["data"]["splits"]["novel"]
    assert metrics["data"]["corpus"] == "scenes-v3"
    samples = sorted((cli_run / "samples").glob("*.png"))
    assert len(samples) == 4 and all(p.stat().st_size > 5_000 for p in samples)


def test_cli_predict_writes_pictures_and_coco_json(cli_run, tmp_path, capsys):
    rng = np.random.default_rng(0)
    Image.fromarray(rng.integers(0, 255, (90, 150, 3), np.uint8)).save(tmp_path / "a.png")
    Image.fromarray(rng.integers(0, 255, (60, 40), np.uint8), "L").save(tmp_path / "b.png")
    out = tmp_path / "out"
    args = ["predict", "--workdir", str(cli_run), str(tmp_path / "a.png"), str(tmp_path / "b.png")]
    assert main([*args, "-o", str(out), "--score-threshold", "0"]) == 0
    with Image.open(out / "a_detections.png") as img:
        assert img.size == (150, 90)
    records = json.loads((out / "detections.json").read_text())
    assert {r["file_name"] for r in records} <= {"a.png", "b.png"}
    for record in records:
        x, y, w, h = record["bbox"]
        size = (150, 90) if record["file_name"] == "a.png" else (40, 60)
        assert 0 <= x and x + w <= size[0] + 0.01 and 0 <= y and y + h <= size[1] + 0.01
    capsys.readouterr()
    assert main([*args, "-o", str(out)]) == 2  # outputs exist: no silent overwrite


@pytest.mark.parametrize(
    "extra, message",
    [
        (["--score-threshold", "2"], "must be in [0, 1]"),
        (["--sigma", "5"], "--sigma does not apply"),
    ],
)
def test_cli_predict_bad_input_one_line(cli_run, tmp_path, error_line, extra, message):
    Image.fromarray(np.zeros((20, 20, 3), np.uint8)).save(tmp_path / "a.png")
    args = ["predict", "--workdir", str(cli_run), str(tmp_path / "a.png"), "-o", str(tmp_path)]
    assert main([*args, *extra]) == 2
    assert message in error_line()


def test_cli_predict_unreadable_image_one_line(cli_run, tmp_path, error_line):
    (tmp_path / "bad.png").write_text("not an image")
    args = ["predict", "--workdir", str(cli_run), str(tmp_path / "bad.png"), "-o", str(tmp_path)]
    assert main(args) == 2
    assert "not a readable image" in error_line()
    assert not list(tmp_path.glob("*_detections.png"))


def test_tfds_source_offline_is_one_clear_error(tmp_path):
    cfg = _cfg("data.source=voc", f"data.tfds_data_dir={tmp_path}")
    assert data.class_names(cfg)[:2] == ["aeroplane", "bicycle"]  # from tfds' code, offline
    with pytest.raises(UserError, match="voc/2007 is not prepared"):
        TASK.build_dataset(cfg, "test")


def test_python_exits_with_a_scene_iterator_still_running(tmp_path):
    import subprocess
    import sys

    script = (
        "import deeptasks\n"
        "task = deeptasks.get_task('detection')\n"
        "iterator = iter(task.build_dataset(task.config('smoke'), 'train'))\n"
        "next(iterator)\n"
        "print('done')\n"
    )
    # without the exit hook this hangs (prefetch threads keep calling the renderer)
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0 and done.stdout.strip() == "done"
