import numpy as np
import pytest

from deeptasks.datasets import cache, cutouts, photos, scene_pipeline, scenes


@pytest.fixture(scope="module")
def test_source():
    return scenes.scene_source("shapes", "test", 0)


def test_scenes_are_fixed_by_seed_split_and_index(test_source):
    a, b = test_source.render(3), test_source.render(3)
    np.testing.assert_array_equal(a.image, b.image)
    np.testing.assert_array_equal(a.boxes, b.boxes)
    other = scenes.scene_source("shapes", "test", 1).render(3)
    assert not np.array_equal(a.image, other.image)
    assert not np.array_equal(a.image, test_source.render(4).image)


def test_boxes_are_inside_and_tight_around_visible_pixels(test_source):
    difficulty = test_source.difficulty
    objects = 0
    for index in range(40):
        scene = test_source.render(index)
        size = difficulty.size
        assert scene.image.shape == (size, size, 3) and scene.image.dtype == np.uint8
        assert len(scene.boxes) == len(scene.labels) == len(scene.masks) <= difficulty.objects[1]
        for box, label, mask in zip(scene.boxes, scene.labels, scene.masks):
            y0, x0, y1, x1 = box.astype(int)
            assert 0 <= y0 < y1 <= size and 0 <= x0 < x1 <= size
            rows, cols = np.nonzero(mask)
            assert (rows.min(), cols.min(), rows.max() + 1, cols.max() + 1) == (y0, x0, y1, x1)
            assert min(y1 - y0, x1 - x0) >= difficulty.min_box
            # the semantic mask gives the object's visible pixels its class
            assert (scene.semantic[mask] == label + 1).all()
            objects += 1
        labelled = scene.masks.any(axis=0) if len(scene.masks) else np.zeros((size, size), bool)
        assert (scene.semantic[labelled] > 0).all()
        # instance masks never overlap: each pixel shows one object
        assert scene.masks.sum(axis=0).max(initial=0) <= 1
    assert objects >= 40  # 1-4 objects per scene, few dropped


def test_object_sizes_follow_the_difficulty(test_source):
    low, high = test_source.difficulty.object_size
    size = test_source.difficulty.size
    longest = [
        max(b[2] - b[0], b[3] - b[1]) / size for i in range(60) for b in test_source.render(i).boxes
    ]
    # a visible box is at most the pasted size; occlusion can only shrink it
    assert max(longest) <= high + 1 / size and np.median(longest) >= low


def test_splits_use_disjoint_pictures_and_backgrounds():
    root = cutouts.build("shapes")
    manifest = cache.read_manifest(root)
    by_split = {}
    for entry in manifest["files"].values():
        by_split.setdefault(entry["split"], set()).add(entry["sha256"])
    assert set(by_split) == {"train", "val", "test"}
    assert not (by_split["train"] & by_split["test"]) and not (by_split["train"] & by_split["val"])
    assert not (by_split["val"] & by_split["test"])
    # every class has pictures in every split
    for cls in manifest["classes"]:
        splits = {e["split"] for e in manifest["files"].values() if e["class"] == cls}
        assert splits == {"train", "val", "test"}, cls
    files, _ = photos.split_files("bundled")
    assert not set(files["train"]) & set(files["test"])


def test_stamp_selection_leaves_clip_art_out():
    from pathlib import Path

    assert cutouts._is_clipart(Path("animals/birds/cartoon/tux.png"))
    assert cutouts._is_clipart(Path("animals/mammals/bears/toys/teddy.png"))
    assert not cutouts._is_clipart(Path("animals/mammals/bovines/cow.png"))
    split = photos.split_by_hash([f"n{i}" for i in range(20)])
    assert sorted(split.values()).count("test") == 4 and list(split.values()).count("val") == 3
    assert photos.split_by_hash(["a", "b", "c"]) == photos.split_by_hash(["c", "b", "a"])


def test_unknown_objects_is_one_clear_error():
    from deeptasks.errors import UserError

    with pytest.raises(UserError, match="valid: auto, stamps, shapes"):
        scenes.corpus_info("lego")


def test_scene_description_and_render_speed_for_the_tasks():
    info = scene_pipeline.describe("shapes", 3, val_images=5, test_images=7)
    assert info["splits"] == {"train": "fresh scenes every step", "val": 5, "test": 7, "novel": 7}
    assert set(info["protocols"]) == {"test", "novel", "val"}
    assert info["scene_seed"] == 3 and list(info["difficulty"]["objects"]) == [1, 4]
    assert "cutouts_dir" not in info and "classes" not in info  # the task names its classes
    assert scene_pipeline.render_speed("shapes", 0, 5)["scenes_per_s_one_thread"] > 0


def test_test_shows_training_pictures_and_novel_does_not():
    training = {p for group in scenes.picture_files("shapes", "train") for p in group}
    test = {p for group in scenes.picture_files("shapes", "test") for p in group}
    val = {p for group in scenes.picture_files("shapes", "val") for p in group}
    novel = {p for group in scenes.picture_files("shapes", "novel") for p in group}
    assert test == training == val and novel and not novel & training
    # every class has pictures on both sides of the line
    for split in ("novel", "test"):
        assert all(scenes.picture_files("shapes", split)), split


def test_test_and_novel_backgrounds_are_never_trained_on():
    files, _ = scenes.background_splits("bundled")
    protocol = scenes.PROTOCOL
    training = set(files[protocol["train"].backgrounds])
    for split in ("val", "test", "novel"):
        held_out = set(files[protocol[split].backgrounds])
        assert held_out and not held_out & training, split
    assert not set(files[protocol["val"].backgrounds]) & set(files[protocol["test"].backgrounds])


def test_novel_scenes_are_the_v2_test_scenes_and_test_scenes_are_new():
    novel = scenes.scene_source("shapes", "novel", 0)
    test = scenes.scene_source("shapes", "test", 0)
    assert novel.protocol.stream == (2, 2)  # v2's (split id, version): its scenes unchanged
    assert novel.background_files == test.background_files
    assert not np.array_equal(novel.render(0).image, test.render(0).image)


def test_an_unknown_split_is_one_clear_error():
    from deeptasks.errors import UserError

    with pytest.raises(UserError, match="valid: train, val, test, novel"):
        scenes.scene_source("shapes", "holdout", 0)
    with pytest.raises(UserError, match="valid: train, val, test$"):
        scene_pipeline.check_split("coco", "novel")
