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
    prefix = "mate" if package.startswith("mate") else "plasma"
    stem = Path(member).stem if prefix == "mate" else member.split("/")[3]
    return f"{prefix}-{stem}"


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
            fetched = fetch_packages(sorted(WALLPAPERS), work / "pkgs", work / "state")
            for package, members in WALLPAPERS.items():
                for member in members:
                    name = _wallpaper_name(package, member)
                    target = root / "wallpapers" / f"{name}.jpg"
                    target.parent.mkdir(parents=True, exist_ok=True)
                    shutil.copyfile(fetched[package]["root"] / member, target)
                    files[name] = {
                        "file": str(target.relative_to(root)),
                        "source": f"debian:{package}={fetched[package]['version']}: /{member}",
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


def split_files(source: str, folder: str = "") -> tuple[dict[str, list[Path]], dict[str, Any]]:
    """``({split: [image paths]}, provenance)`` for a file-based source.

    ``source`` is ``auto`` (wallpapers when apt can fetch them), ``bundled`` (no apt),
    or ``folder`` (the user's own images in ``folder``).
    """
    if source == "folder":
        return folder_splits(Path(folder))
    root = build(with_wallpapers=source == "auto")
    manifest = cache.read_manifest(root)
    splits = {
        split: [root / manifest["files"][name]["file"] for name in names]
        for split, names in manifest["splits"].items()
    }
    info = {key: manifest[key] for key in ("corpus", "version", "split_mode", "wallpapers")}
    info["dir"] = str(root)
    return splits, info


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
