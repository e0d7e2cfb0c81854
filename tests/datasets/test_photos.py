import shutil
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from deeptasks.datasets import cache, photos
from deeptasks.errors import UserError


def test_bundled_corpus_builds_once_with_provenance():
    root = photos.build(with_wallpapers=False)
    manifest = cache.read_manifest(root)
    assert set(manifest["files"]) == set(photos.BUNDLED)
    for entry in manifest["files"].values():
        assert cache.sha256(root / entry["file"]) == entry["sha256"]
        assert "==" in entry["source"]
    splits = manifest["splits"]
    assert not set(splits["train"]) & set(splits["test"])
    assert not set(splits["val"]) & (set(splits["train"]) | set(splits["test"]))
    assert "bundled" in manifest["split_mode"]
    stamp = (root / "manifest.json").stat().st_mtime_ns
    assert photos.build(with_wallpapers=False) == root
    assert (root / "manifest.json").stat().st_mtime_ns == stamp  # reused, not rebuilt


def test_interrupted_build_leaves_nothing(monkeypatch):
    def broken(_root):
        raise RuntimeError("killed")

    with pytest.raises(RuntimeError):
        cache.build_once("broken-corpus", broken)
    assert not (cache.data_dir() / "broken-corpus").exists()
    assert not list(cache.data_dir().glob(".broken-corpus*"))


def test_folder_source_splits_by_image(tmp_path):
    for i in range(12):
        Image.fromarray(np.full((20, 20, 3), i, np.uint8)).save(tmp_path / f"img{i:02d}.png")
    (tmp_path / "notes.txt").write_text("not an image")
    splits, info = photos.folder_splits(tmp_path)
    assert [p.name for p in splits["test"]] == ["img00.png", "img10.png"]
    assert [p.name for p in splits["val"]] == ["img05.png"]
    assert len(splits["train"]) == 9 and info["corpus"] == "folder"


def test_folder_source_errors(tmp_path):
    with pytest.raises(UserError, match="not found"):
        photos.folder_splits(tmp_path / "missing")
    with pytest.raises(UserError, match="at least 3"):
        photos.folder_splits(tmp_path)


@pytest.mark.skipif(shutil.which("apt-get") is None, reason="wallpapers come from Debian's apt")
def test_wallpapers_train_and_bundled_photos_test():
    splits, info = photos.split_files("auto")
    if not info["wallpapers"].startswith("fetched"):
        pytest.skip(f"apt could not fetch the wallpapers here: {info['wallpapers']}")
    assert len(splits["train"]) == 20 and len(splits["val"]) == 3
    assert sorted(Path(p).stem for p in splits["test"]) == sorted(photos.BUNDLED)
    assert all("wallpapers" in str(p) for p in splits["train"] + splits["val"])


def test_div2k_adapter_maps_examples_to_hr_images():
    import tensorflow as tf

    from deeptasks.datasets.tfds import DIV2K_SPLITS, div2k_hr_element

    element = {"hr": tf.zeros((30, 40, 3), tf.uint8), "lr": tf.zeros((15, 20, 3), tf.uint8)}
    mapped = tf.data.Dataset.from_tensors(element).map(div2k_hr_element)
    assert next(iter(mapped)).shape == (30, 40, 3)
    assert DIV2K_SPLITS["test"] == "validation"  # DIV2K's validation images are the test set
