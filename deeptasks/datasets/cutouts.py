"""Object cut-outs with alpha masks, the objects of the ``scenes`` corpus.

Two sources, one layout (``objects/<class>/<name>.png``, RGBA, cropped to the object):

* ``stamps``: the photographic stamps of Debian's ``tuxpaint-stamps-default`` (real photos
  of animals, fruit, flowers, vehicles with transparent backgrounds), fetched with apt into
  the data dir. Each class is a set of the package's folders (:data:`STAMP_CLASSES`);
  clip-art is left out by one rule (:data:`CLIPART_RULE`).
* ``shapes``: the pip-only fallback: procedurally drawn shapes (circle, square, triangle,
  star, hexagon, cross) filled with random textures, fixed by seed.

Pictures, not scenes, are split: each picture belongs to exactly one of train, val or
test (by a hash of its name, per class), so test scenes show objects never seen in
training.
"""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import numpy as np

from deeptasks.datasets import cache
from deeptasks.datasets.debian import DebianUnavailable, fetch_packages
from deeptasks.datasets.photos import split_by_hash

VERSION = 1
STAMPS_PACKAGE = "tuxpaint-stamps-default"
STAMPS_ROOT = "usr/share/tuxpaint/stamps"
# class -> the package folders whose photos it takes (sub-folders included)
STAMP_CLASSES = {
    "mammal": ["animals/mammals"],
    "bird": ["animals/birds"],
    "insect": ["animals/insects"],
    "fruit": ["food/fruit"],
    "flower": ["plants/flowers"],
    "vehicle": ["vehicles"],
}
CLIPART_FOLDERS = ("cartoon", "toys")
CLIPART_RULE = "stamps under a folder named 'cartoon' or 'toys' are drawings and are left out"
SHAPE_CLASSES = ("circle", "square", "triangle", "star", "hexagon", "cross")
SHAPES_PER_CLASS = 40
MAX_SIDE = 256  # cut-outs are stored at most this big (scenes use them at <= 60% of 256)


def _crop_to_object(rgba: np.ndarray) -> np.ndarray:
    """The picture cut to the bounding box of its opaque pixels, at most MAX_SIDE big."""
    from PIL import Image

    rows, cols = np.nonzero(rgba[..., 3] >= 128)
    rgba = rgba[rows.min() : rows.max() + 1, cols.min() : cols.max() + 1]
    image = Image.fromarray(rgba)
    if max(image.size) > MAX_SIDE:
        image.thumbnail((MAX_SIDE, MAX_SIDE), Image.LANCZOS)
    return np.asarray(image)


def _save(root: Path, cls: str, name: str, rgba: np.ndarray) -> Path:
    from deeptasks.common.io import write_image

    return write_image(root / "objects" / cls / f"{name}.png", _crop_to_object(rgba))


def _is_clipart(relative: Path) -> bool:
    return any(part in CLIPART_FOLDERS for part in relative.parts[:-1])


def _build_stamps(root: Path) -> dict[str, Any]:
    from PIL import Image

    work = root / ".apt"
    try:
        fetched = fetch_packages([STAMPS_PACKAGE], work / "pkgs", work / "state")[STAMPS_PACKAGE]
        stamps = fetched["root"] / STAMPS_ROOT
        files: dict[str, dict[str, Any]] = {}
        for cls, folders in STAMP_CLASSES.items():
            for folder in folders:
                for png in sorted((stamps / folder).rglob("*.png")):
                    relative = png.relative_to(stamps)
                    if _is_clipart(relative):
                        continue
                    with Image.open(png) as image:
                        rgba = np.asarray(image.convert("RGBA"))
                    if (rgba[..., 3] >= 128).sum() < 64:
                        continue  # no usable opaque object
                    name = png.stem
                    path = _save(root, cls, name, rgba)
                    files[f"{cls}/{name}"] = {
                        "file": str(path.relative_to(root)),
                        "class": cls,
                        "source": f"debian:{STAMPS_PACKAGE}={fetched['version']}: "
                        f"/{STAMPS_ROOT}/{relative}",
                        "sha256": cache.sha256(path),
                    }
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return {"classes": list(STAMP_CLASSES), "files": files, "selection": CLIPART_RULE}


def _texture(rng: np.random.Generator, size: int) -> np.ndarray:
    """A random RGB texture in [0, 1]: a two-colour blend of stripes, checks or noise."""
    ys, xs = np.mgrid[0:size, 0:size] / size
    kind = rng.integers(3)
    angle, freq = rng.uniform(0, np.pi), rng.uniform(2, 8)
    if kind == 0:
        pattern = 0.5 + 0.5 * np.sin(2 * np.pi * freq * (xs * np.cos(angle) + ys * np.sin(angle)))
    elif kind == 1:
        pattern = ((np.floor(xs * freq) + np.floor(ys * freq)) % 2).astype(float)
    else:
        coarse = rng.random((4, 4))
        pattern = np.kron(coarse, np.ones((size // 4 + 1, size // 4 + 1)))[:size, :size]
    colours = rng.random((2, 3))
    blend = pattern[..., None]
    return colours[0] * blend + colours[1] * (1 - blend)


def _shape_mask(cls: str, size: int, rng: np.random.Generator) -> np.ndarray:
    from PIL import Image, ImageDraw

    mask = Image.new("L", (size, size), 0)
    draw = ImageDraw.Draw(mask)
    c, r = size / 2, size * rng.uniform(0.38, 0.48)
    turn = rng.uniform(0, 2 * np.pi)

    def ring(count: int, radii: list[float]) -> list[tuple[float, float]]:
        angles = turn + np.arange(count * len(radii)) * 2 * np.pi / (count * len(radii))
        return [
            (c + radii[i % len(radii)] * np.cos(a), c + radii[i % len(radii)] * np.sin(a))
            for i, a in enumerate(angles)
        ]

    if cls == "circle":
        squash = rng.uniform(0.75, 1.0)
        draw.ellipse([c - r, c - r * squash, c + r, c + r * squash], fill=255)
    elif cls == "square":
        draw.polygon(ring(4, [r]), fill=255)
    elif cls == "triangle":
        draw.polygon(ring(3, [r]), fill=255)
    elif cls == "star":
        draw.polygon(ring(5, [r, r * 0.42]), fill=255)
    elif cls == "hexagon":
        draw.polygon(ring(6, [r]), fill=255)
    elif cls == "cross":
        arm = r * 0.33
        draw.rectangle([c - r, c - arm, c + r, c + arm], fill=255)
        draw.rectangle([c - arm, c - r, c + arm, c + r], fill=255)
    return np.asarray(mask)


def _build_shapes(root: Path) -> dict[str, Any]:
    files: dict[str, dict[str, Any]] = {}
    for class_index, cls in enumerate(SHAPE_CLASSES):
        for i in range(SHAPES_PER_CLASS):
            rng = np.random.default_rng([VERSION, class_index, i])
            size = 128
            colour = np.round(_texture(rng, size) * 255).astype(np.uint8)
            rgba = np.concatenate([colour, _shape_mask(cls, size, rng)[..., None]], axis=-1)
            name = f"{cls}-{i:02d}"
            path = _save(root, cls, name, rgba)
            files[f"{cls}/{name}"] = {
                "file": str(path.relative_to(root)),
                "class": cls,
                "source": f"procedural (deeptasks cutouts v{VERSION}, seed [{class_index}, {i}])",
                "sha256": cache.sha256(path),
            }
    return {"classes": list(SHAPE_CLASSES), "files": files, "selection": "all drawn shapes"}


def _build(root: Path, kind: str) -> dict[str, Any]:
    manifest = _build_stamps(root) if kind == "stamps" else _build_shapes(root)
    for cls in manifest["classes"]:
        names = [key for key, entry in manifest["files"].items() if entry["class"] == cls]
        for name, split in split_by_hash(names).items():
            manifest["files"][name]["split"] = split
    manifest.update(version=VERSION, kind=kind)
    return manifest


def build(kind: str) -> Path:
    """The cut-out folder of ``kind`` (``stamps`` or ``shapes``), built once.

    Raises :class:`DebianUnavailable` when ``stamps`` cannot be fetched."""
    return cache.build_once(f"cutouts-{kind}-v{VERSION}", lambda root: _build(root, kind))


def build_auto() -> tuple[Path, str]:
    """Stamps when apt can fetch them, else shapes; ``(folder, note on the choice)``."""
    try:
        return build("stamps"), "tuxpaint-stamps-default fetched with apt"
    except DebianUnavailable as err:
        return build("shapes"), f"procedural shapes (stamps unavailable: {err})"
