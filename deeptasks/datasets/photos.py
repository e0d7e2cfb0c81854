"""The ``photos`` corpus: real colour photographs that install with our packages.

Sources, in the order a build uses them:

* always: the colour photos bundled in scikit-image (``skimage.data``) and scikit-learn
  (``load_sample_images``), saved losslessly as PNG;
* when apt can reach Debian: the photographic wallpapers of ``mate-backgrounds`` and
  ``plasma-workspace-wallpapers``, listed file by file below (abstract and drawn
  wallpapers are left out), copied as shipped.

Splits are by image and fixed. With the wallpapers, train and validation are wallpapers
and the test split is every bundled photo; without them a fixed split of the bundled
photos is used. The manifest records which, and where every file came from.
"""

from __future__ import annotations

import hashlib
import shutil
from importlib import metadata
from pathlib import Path
from typing import Any

import numpy as np

from deeptasks.common.io import write_image
from deeptasks.datasets import cache
from deeptasks.datasets.debian import DebianUnavailable, fetch_packages
from deeptasks.errors import UserError

VERSION = 1
# name -> (package, how to get it)
BUNDLED = {
    "astronaut": ("scikit-image", "skimage.data.astronaut"),
    "chelsea": ("scikit-image", "skimage.data.chelsea"),
    "coffee": ("scikit-image", "skimage.data.coffee"),
    "hubble_deep_field": ("scikit-image", "skimage.data.hubble_deep_field"),
    "immunohistochemistry": ("scikit-image", "skimage.data.immunohistochemistry"),
    "retina": ("scikit-image", "skimage.data.retina"),
    "rocket": ("scikit-image", "skimage.data.rocket"),
    "stereo_motorcycle": ("scikit-image", "skimage.data.stereo_motorcycle"),
    "china": ("scikit-learn", "sklearn.datasets.load_sample_images"),
    "flower": ("scikit-learn", "sklearn.datasets.load_sample_images"),
}
# Photographs only: the packages' abstract, striped and drawn wallpapers are excluded.
WALLPAPERS = {
    "mate-backgrounds": [
        f"usr/share/backgrounds/mate/nature/{n}.jpg"
        for n in (
            "Aqua",
            "Blinds",
            "Dune",
            "FreshFlower",
            "Garden",
            "GreenMeadow",
            "LadyBird",
            "RainDrops",
            "Storm",
            "TwoWings",
            "Wood",
            "YellowFlower",
        )
    ],
    "plasma-workspace-wallpapers": [
        f"usr/share/wallpapers/{n}/contents/images/2560x1600.jpg"
        for n in (
            "BytheWater",
            "ColdRipple",
            "ColorfulCups",
            "DarkestHour",
            "EveningGlow",
            "FallenLeaf",
            "Grey",
            "Kite",
            "OneStandsOut",
            "Path",
            "summer_1am",
        )
    ],
}
WALLPAPER_VAL = ("mate-Storm", "plasma-Kite", "plasma-OneStandsOut")
# More photographic wallpapers, used only as scene backgrounds (photos-v1 keeps its splits).
# The packages' drawn and abstract pictures (umang, Fossa, Infinite-Sea, Painting-Colors,
# the lomiri logos) are left out.
SCENE_WALLPAPERS = {
    "lomiri-wallpapers-16.04": [
        f"usr/share/backgrounds/{n}.jpg"
        for n in (
            "Bridge_by_Sander_Klootwijk",
            "Dragonfly_by_Bolly",
            "Picture_0B_by_freespace",
            "Picture_1A_by_freespace",
            "Wine_by_Jakkub_Mede",
            "aitzgorri_by_Aitzol_Berasategi",
            "analogpattern_by_Peter_Nerlich",
            "free_by_Peter_Nerlich",
            "friends_by_Aitzol_Berasategi",
            "greentock_by_Peter_Nerlich",
            "life_by_Aitzol_Berasategi",
            "picosdeeuropa_by_Aitzol_Berasategi",
            "seeding_by_Clements_Engelhardt",
            "sunset_by_Aitzol_Berasategi",
        )
    ],
    "lomiri-wallpapers-20.04": ["usr/share/backgrounds/Kleiber_by_Lukas_Baubkus.jpg"],
}
SCENE_BACKGROUND_SIDE = 512  # scene backgrounds are stored with this shorter side
TEST_FRACTION, VAL_FRACTION = 0.2, 0.15
# Used only when the wallpapers cannot be fetched.
FALLBACK_SPLITS = {
    "train": ["hubble_deep_field", "immunohistochemistry", "retina", "rocket", "stereo_motorcycle"],
    "val": ["flower"],
    "test": ["astronaut", "chelsea", "china", "coffee"],
}


def _bundled_image(name: str) -> np.ndarray:
    if BUNDLED[name][0] == "scikit-learn":
        from sklearn.datasets import load_sample_images

        sample = load_sample_images()
        index = [Path(f).stem for f in sample.filenames].index(name)
        return sample.images[index]
    import skimage.data

    image = getattr(skimage.data, name)()
    return image[0] if isinstance(image, tuple) else image  # stereo pair: left view


def _wallpaper_name(package: str, member: str) -> str:
    prefix = package.split("-")[0]
    stem = member.split("/")[3] if prefix == "plasma" else Path(member).stem
    return f"{prefix}-{stem}"


def _fetch_wallpapers(wanted: dict[str, list[str]], work: Path):
    """``(name, unpacked file, provenance)`` of each listed wallpaper, fetched with apt."""
    fetched = fetch_packages(sorted(wanted), work / "pkgs", work / "state")
    for package, members in wanted.items():
        for member in members:
            source = f"debian:{package}={fetched[package]['version']}: /{member}"
            yield _wallpaper_name(package, member), fetched[package]["root"] / member, source


def _build(root: Path, with_wallpapers: bool) -> dict[str, Any]:
    files: dict[str, dict[str, Any]] = {}
    for name, (package, call) in BUNDLED.items():
        path = write_image(root / "bundled" / f"{name}.png", _bundled_image(name))
        files[name] = {
            "file": str(path.relative_to(root)),
            "source": f"{package}=={metadata.version(package)}: {call}()",
            "sha256": cache.sha256(path),
        }
    wallpaper_note = "not requested"
    if with_wallpapers:
        work = root / ".apt"
        try:
            for name, unpacked, source in _fetch_wallpapers(WALLPAPERS, work):
                target = root / "wallpapers" / f"{name}.jpg"
                target.parent.mkdir(parents=True, exist_ok=True)
                shutil.copyfile(unpacked, target)
                files[name] = {
                    "file": str(target.relative_to(root)),
                    "source": source,
                    "sha256": cache.sha256(target),
                }
            wallpaper_note = "fetched with apt"
        except (DebianUnavailable, FileNotFoundError) as err:
            wallpaper_note = f"unavailable ({err})"
        finally:
            shutil.rmtree(work, ignore_errors=True)
    wallpapers = sorted(n for n in files if n not in BUNDLED)
    if wallpapers:
        splits = {
            "train": [n for n in wallpapers if n not in WALLPAPER_VAL],
            "val": [n for n in wallpapers if n in WALLPAPER_VAL],
            "test": sorted(BUNDLED),
        }
        mode = "wallpapers for train/val, all bundled photos for test"
    else:
        splits, mode = FALLBACK_SPLITS, "fixed split of the bundled photos (no wallpapers)"
    return {
        "version": VERSION,
        "split_mode": mode,
        "wallpapers": wallpaper_note,
        "splits": splits,
        "files": files,
    }


def build(with_wallpapers: bool = True) -> Path:
    """Build the corpus once (or reuse it) and return its folder."""
    name = f"photos-v{VERSION}" if with_wallpapers else f"photos-bundled-v{VERSION}"
    return cache.build_once(name, lambda root: _build(root, with_wallpapers))


def _manifest_splits(root: Path) -> tuple[dict[str, list[Path]], dict[str, Any]]:
    """``({split: [image paths]}, provenance)`` of a built photo collection."""
    manifest = cache.read_manifest(root)
    splits = {
        split: [root / manifest["files"][name]["file"] for name in names]
        for split, names in manifest["splits"].items()
    }
    info = {key: manifest[key] for key in ("corpus", "version", "split_mode", "wallpapers")}
    info["dir"] = str(root)
    return splits, info


def split_files(source: str, folder: str = "") -> tuple[dict[str, list[Path]], dict[str, Any]]:
    """``({split: [image paths]}, provenance)`` for a file-based source.

    ``source`` is ``auto`` (wallpapers when apt can fetch them), ``bundled`` (no apt),
    or ``folder`` (the user's own images in ``folder``).
    """
    if source == "folder":
        return folder_splits(Path(folder))
    root = build(with_wallpapers=source == "auto")
    return _manifest_splits(root)


def split_by_hash(names: list[str]) -> dict[str, str]:
    """name -> split: names ordered by a hash of themselves; the first 20% (at least one)
    to test, the next 15% (at least one) to val, the rest to train. The order of the list
    does not matter, and no hand-picking is involved."""
    ordered = sorted(names, key=lambda n: hashlib.sha256(n.encode()).hexdigest())
    n_test = max(1, round(TEST_FRACTION * len(ordered)))
    n_val = max(1, round(VAL_FRACTION * len(ordered)))
    return {
        name: "test" if i < n_test else "val" if i < n_test + n_val else "train"
        for i, name in enumerate(ordered)
    }


def _shrunk_copy(source: Path, target: Path) -> None:
    from PIL import Image

    with Image.open(source) as image:
        image.draft("RGB", (SCENE_BACKGROUND_SIDE * 2, SCENE_BACKGROUND_SIDE * 2))
        image = image.convert("RGB")
        scale = SCENE_BACKGROUND_SIDE / min(image.size)
        if scale < 1:
            size = (round(image.width * scale), round(image.height * scale))
            image = image.resize(size, Image.LANCZOS)
        target.parent.mkdir(parents=True, exist_ok=True)
        image.save(target)


def _build_scene_backgrounds(root: Path) -> dict[str, Any]:
    photos_root = build(with_wallpapers=True)
    photos_manifest = cache.read_manifest(photos_root)
    sources = {
        name: (photos_root / entry["file"], f"photos-v{VERSION}: {entry['source']}")
        for name, entry in photos_manifest["files"].items()
    }
    work, files = root / ".apt", None
    try:
        for name, unpacked, source in _fetch_wallpapers(SCENE_WALLPAPERS, work):
            sources[name] = (unpacked, source)
        files = _shrunk_copies(root, sources)  # before the apt work folder goes away
        extra_note = "fetched with apt"
    except (DebianUnavailable, FileNotFoundError) as err:
        extra_note = f"unavailable ({err})"
    finally:
        shutil.rmtree(work, ignore_errors=True)
    if files is None:
        files = _shrunk_copies(root, {n: sources[n] for n in photos_manifest["files"]})
    split = split_by_hash(sorted(files))
    return {
        "version": VERSION,
        "split_mode": "every photo to one split by a hash of its name (20% test, 15% val)",
        "wallpapers": f"photos-v{VERSION}: {photos_manifest['wallpapers']}; extra: {extra_note}",
        "shorter_side": SCENE_BACKGROUND_SIDE,
        "splits": {s: sorted(n for n in files if split[n] == s) for s in ("train", "val", "test")},
        "files": files,
    }


def _shrunk_copies(root: Path, sources: dict[str, tuple[Path, str]]) -> dict[str, dict]:
    files = {}
    for name, (source, provenance) in sorted(sources.items()):
        target = root / "images" / f"{name}.png"
        _shrunk_copy(source, target)
        files[name] = {
            "file": str(target.relative_to(root)),
            "source": f"{provenance} (shorter side shrunk to {SCENE_BACKGROUND_SIDE})",
            "sha256": cache.sha256(target),
        }
    return files


def scene_background_splits() -> tuple[dict[str, list[Path]], dict[str, Any]]:
    """Background photos for scenes: every photo of ``photos`` plus more photographic
    wallpapers, each assigned to one split by a hash of its name, so that train, val and
    test draw from the same kinds of picture (``photos`` puts all bundled photos in test)."""
    root = cache.build_once(f"scene-backgrounds-v{VERSION}", _build_scene_backgrounds)
    return _manifest_splits(root)


def split_by_position(items: list) -> dict[str, list]:
    """A user's items (in a fixed order) split by position: every 10th to test, the 5th
    of each ten to validation, the rest to training (one to validation if it is empty)."""
    splits: dict[str, list] = {"train": [], "val": [], "test": []}
    for index, item in enumerate(items):
        splits["test" if index % 10 == 0 else "val" if index % 10 == 5 else "train"].append(item)
    if not splits["val"]:
        splits["val"].append(splits["train"].pop())
    return splits


def folder_splits(folder: Path) -> tuple[dict[str, list[Path]], dict[str, Any]]:
    """A deterministic by-image split of a user's folder: every 10th image to test, one in
    ten to validation (by sorted name), the rest to training."""
    from deeptasks.common.io import IMAGE_SUFFIXES

    if not folder.is_dir():
        raise UserError(f"image folder not found: {folder}; set data.folder to a folder of images")
    images = sorted(p for p in folder.rglob("*") if p.suffix.lower() in IMAGE_SUFFIXES)
    if len(images) < 3:
        raise UserError(
            f"{folder} has {len(images)} images; a train/val/test split needs at least 3"
        )
    return split_by_position(images), {
        "corpus": "folder",
        "dir": str(folder),
        "split_mode": "by sorted name: index%10==0 test, ==5 val, rest train",
    }
