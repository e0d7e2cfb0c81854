"""The ``scenes`` corpus: photo backgrounds with real object cut-outs pasted in.

A scene is a crop of a ``photos`` corpus picture with 1-4 cut-outs (``cutouts``) pasted at
random scale, position and flip, with colour jitter; later objects may hide part of
earlier ones. Every scene comes with exact labels: each object's box recomputed from its
*visible* pixels, its instance mask, and a semantic mask (0 = background, k + 1 = class k).
An object hidden beyond :attr:`Difficulty.max_occlusion` of its area, or whose visible box
is smaller than :attr:`Difficulty.min_box` pixels, is dropped from the instance labels
(its visible pixels keep their class in the semantic mask).

Scene ``i`` of a split is a pure function of ``(seed, split, i)``: the test scenes are
fixed, any subset can be drawn in any order, and training can draw fresh scenes forever.
Each background photo belongs to one of train, val and test, and each object picture to
one of train, val and test, by a hash of its name. Two protocols are scored
(:data:`PROTOCOL`):

* ``test`` (the headline, *instance* detection as in Dwibedi et al., "Cut, Paste and
  Learn", ICCV 2017): the training object pictures in new scenes on held-out background
  photos, at new scales, positions, flips, occlusions and colours: are known objects found
  and named anywhere? ``val`` follows the same rule on its own photos.
* ``novel`` (category generalisation): object pictures never seen in training, on the
  test photos; these are the v2 corpus's test scenes, unchanged.

The object pictures of the val split train too (v3): ``novel``'s pictures are the only
ones held out. The difficulty (:class:`Difficulty`) belongs to the corpus version, not to
a model.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any, NamedTuple

import numpy as np

from deeptasks.datasets import cache, cutouts, photos
from deeptasks.errors import UserError

# v3: test and val show the training pictures (instance protocol), novel = v2's test;
# v2: backgrounds split by photo hash across all photos (v1: test = bundled)
VERSION = 3


class Protocol(NamedTuple):
    pictures: tuple[str, ...]  # the object pictures' splits it draws from
    backgrounds: str  # the background photos' split
    stream: tuple[int, int]  # scene i's random numbers come from (seed, stream[0], i, stream[1])


PROTOCOL = {
    "train": Protocol(("train", "val"), "train", (0, VERSION)),
    "val": Protocol(("train", "val"), "val", (1, VERSION)),
    "test": Protocol(("train", "val"), "test", (2, VERSION)),
    "novel": Protocol(("test",), "test", (2, 2)),  # v2's test stream: the same scenes
}
SPLITS = tuple(PROTOCOL)
BACKGROUND_SHORT_SIDE = 512  # photos are shrunk to this once; crops of 50-100% of it are used
PLACEMENT_TRIES = 10
CROP_OBJECT_EXTENT = (0.35, 0.95)  # pretraining crops: object's longer side / crop side
CROP_JITTER = 0.3  # pretraining crops: brightness and contrast factor in 1 +- this


@dataclass(frozen=True)
class Difficulty:
    """What makes the corpus hard; part of its version, printed by ``deeptasks data``."""

    size: int = 256  # square scenes, pixels
    objects: tuple[int, int] = (1, 4)  # objects pasted per scene (inclusive)
    object_size: tuple[float, float] = (0.08, 0.60)  # longer object side / scene side
    max_occlusion: float = 0.5  # objects hidden beyond this fraction are dropped
    min_box: int = 6  # visible boxes with a side below this (pixels) are dropped
    colour_jitter: float = 0.15  # brightness, contrast, saturation: factor in 1 +- this
    background_crop: tuple[float, float] = (0.5, 1.0)  # crop side / photo's shorter side


DIFFICULTY = Difficulty()


class Scene(NamedTuple):
    image: np.ndarray  # uint8 [S, S, 3]
    boxes: np.ndarray  # float32 [N, 4]: y0, x0, y1, x1 in pixels (y1, x1 exclusive)
    labels: np.ndarray  # int32 [N]: class index
    masks: np.ndarray  # bool [N, S, S]: visible pixels of each labelled object
    semantic: np.ndarray  # uint8 [S, S]: 0 background, class + 1


def _load_rgba(path: Path):
    from PIL import Image

    with Image.open(path) as image:
        return image.convert("RGBA")


def _load_background(path: Path) -> np.ndarray:
    from PIL import Image

    with Image.open(path) as image:
        image = image.convert("RGB")
        scale = BACKGROUND_SHORT_SIDE / min(image.size)
        if scale < 1:
            size = (round(image.width * scale), round(image.height * scale))
            image = image.resize(size, Image.LANCZOS)
        return np.asarray(image)


class SceneSource:
    """Renders the scenes of one split.

    Args:
        objects: ``auto`` (tuxpaint stamps when apt can fetch them, else shapes),
            ``stamps`` or ``shapes``.
        split: ``train``, ``val``, ``test`` or ``novel`` (:data:`PROTOCOL`).
        seed: the corpus seed; scene ``i`` depends only on ``(seed, split, i)``.
    """

    def __init__(self, objects: str, split: str, seed: int = 0):
        if split not in PROTOCOL:
            raise UserError(f"unknown split '{split}'; valid: {', '.join(PROTOCOL)}")
        self.split, self.seed, self.difficulty = split, seed, DIFFICULTY
        self.protocol = PROTOCOL[split]
        self.info = corpus_info(objects)
        self.picture_files = picture_files(objects, split)
        self.classes: list[str] = self.info["classes"]
        self.pictures = [[_load_rgba(p) for p in group] for group in self.picture_files]
        files, _ = background_splits(self.info["backgrounds"])
        self.background_files = files[self.protocol.backgrounds]
        self.backgrounds = [_load_background(p) for p in self.background_files]

    def _background(self, rng: np.random.Generator, size: int = 0) -> np.ndarray:
        """A random square crop of a background photo, resized to ``size`` (0: the
        scene's side), float32."""
        from PIL import Image

        photo = self.backgrounds[rng.integers(len(self.backgrounds))]
        short = min(photo.shape[:2])
        side = int(short * rng.uniform(*self.difficulty.background_crop))
        top = rng.integers(photo.shape[0] - side + 1)
        left = rng.integers(photo.shape[1] - side + 1)
        crop = Image.fromarray(photo[top : top + side, left : left + side])
        size = size or self.difficulty.size
        return np.asarray(crop.resize((size, size), Image.BILINEAR), dtype=np.float32)

    def _object(
        self, rng: np.random.Generator, side: int = 0, extent: tuple[float, float] = ()
    ) -> tuple[int, np.ndarray, np.ndarray]:
        """``(class, rgb float [h, w, 3], alpha in [0, 1] [h, w])`` of one jittered object
        whose longer side is a fraction in ``extent`` (default: the difficulty's) of
        ``side`` (default: the scene's)."""
        from PIL import Image

        cls = int(rng.integers(len(self.classes)))
        group = self.pictures[cls]
        picture = group[rng.integers(len(group))]
        low, high = extent or self.difficulty.object_size
        longer = max(2, round(rng.uniform(low, high) * (side or self.difficulty.size)))
        scale = longer / max(picture.size)
        size = (max(1, round(picture.width * scale)), max(1, round(picture.height * scale)))
        rgba = np.asarray(picture.resize(size, Image.BILINEAR), dtype=np.float32)
        if rng.random() < 0.5:
            rgba = rgba[:, ::-1]
        rgb, alpha = rgba[..., :3], rgba[..., 3] / 255.0
        jitter = self.difficulty.colour_jitter
        brightness, contrast, saturation = rng.uniform(1 - jitter, 1 + jitter, size=3)
        grey = rgb.mean(axis=-1, keepdims=True)
        rgb = grey + saturation * (rgb - grey)
        rgb = (rgb - rgb.mean()) * contrast + rgb.mean()
        return cls, np.clip(rgb * brightness, 0, 255), alpha

    def render(self, index: int) -> Scene:
        """Scene ``index`` of this split (the same on every call and machine)."""
        stream, version = self.protocol.stream
        rng = np.random.default_rng([self.seed, stream, index, version])
        size, difficulty = self.difficulty.size, self.difficulty
        canvas = self._background(rng)
        owner = np.full((size, size), -1, np.int16)  # which object shows at each pixel
        areas: list[int] = []
        classes: list[int] = []
        for _ in range(rng.integers(difficulty.objects[0], difficulty.objects[1] + 1)):
            cls, rgb, alpha = self._object(rng)
            height, width = alpha.shape
            solid = alpha >= 0.5
            shown = np.bincount(owner[owner >= 0], minlength=len(areas))
            least = (1 - difficulty.max_occlusion) * np.asarray(areas)
            for _ in range(PLACEMENT_TRIES):
                top = int(rng.integers(size - height + 1))
                left = int(rng.integers(size - width + 1))
                covered = owner[top : top + height, left : left + width][solid]
                hidden = np.bincount(covered[covered >= 0], minlength=len(areas))
                if np.all(shown - hidden >= least):
                    break
            else:
                continue  # nowhere to put it without hiding another object too much
            region = (slice(top, top + height), slice(left, left + width))
            weight = alpha[..., None]
            canvas[region] = weight * rgb + (1 - weight) * canvas[region]
            owner[region][solid] = len(areas)
            areas.append(int(solid.sum()))
            classes.append(cls)
        return self._labels(np.round(canvas).astype(np.uint8), owner, areas, classes)

    def crop(self, index: int, size: int) -> tuple[np.ndarray, int]:
        """Crop ``index`` of this split for pretraining an encoder: ``(uint8 [size, size,
        3], label)``. One crop in ``classes + 1`` is background alone (label 0); the others
        show one jittered object (label class + 1) whose longer side is 35-95% of the crop,
        and the whole crop is then jittered again in brightness and contrast (+- 30%).
        Drawn from the split's pictures and backgrounds, on a random stream of its own."""
        stream, version = self.protocol.stream
        rng = np.random.default_rng([self.seed, stream + 10, index, version])
        canvas = self._background(rng, size)
        label = 0
        if rng.integers(len(self.classes) + 1):
            cls, rgb, alpha = self._object(rng, size, CROP_OBJECT_EXTENT)
            height, width = alpha.shape
            top, left = rng.integers(size - height + 1), rng.integers(size - width + 1)
            region, weight = (slice(top, top + height), slice(left, left + width)), alpha[..., None]
            canvas[region] = weight * rgb + (1 - weight) * canvas[region]
            label = cls + 1
        brightness, contrast = rng.uniform(1 - CROP_JITTER, 1 + CROP_JITTER, size=2)
        canvas = (canvas - canvas.mean()) * contrast + canvas.mean() * brightness
        return np.round(np.clip(canvas, 0, 255)).astype(np.uint8), label

    def _labels(self, image, owner, areas, classes) -> Scene:
        difficulty, size = self.difficulty, self.difficulty.size
        boxes, labels, masks = [], [], []
        semantic = np.zeros((size, size), np.uint8)
        for index, (area, cls) in enumerate(zip(areas, classes)):
            mask = owner == index
            semantic[mask] = cls + 1
            if not mask.any() or mask.sum() < (1 - difficulty.max_occlusion) * area:
                continue
            rows, cols = np.nonzero(mask.any(axis=1))[0], np.nonzero(mask.any(axis=0))[0]
            box = [rows[0], cols[0], rows[-1] + 1, cols[-1] + 1]
            if min(box[2] - box[0], box[3] - box[1]) < difficulty.min_box:
                continue
            boxes.append(box)
            labels.append(cls)
            masks.append(mask)
        return Scene(
            image=image,
            boxes=np.asarray(boxes, np.float32).reshape(-1, 4),
            labels=np.asarray(labels, np.int32),
            masks=np.asarray(masks, bool).reshape(-1, size, size),
            semantic=semantic,
        )


def background_splits(kind: str) -> tuple[dict[str, list[Path]], dict[str, Any]]:
    """``auto``: the scene backgrounds (all photos and more wallpapers, split by photo);
    ``bundled`` (no apt): the fixed split of the photos bundled with our pip packages."""
    return photos.scene_background_splits() if kind == "auto" else photos.split_files(kind)


def picture_files(objects: str, split: str) -> list[list[Path]]:
    """The object pictures scene ``split`` draws from, per class, sorted."""
    root = Path(corpus_info(objects)["cutouts_dir"])
    manifest = cache.read_manifest(root)
    groups: list[list[Path]] = [[] for _ in manifest["classes"]]
    for entry in manifest["files"].values():
        if entry["split"] in PROTOCOL[split].pictures:
            groups[manifest["classes"].index(entry["class"])].append(root / entry["file"])
    return [sorted(group) for group in groups]


@lru_cache(maxsize=4)
def corpus_info(objects: str) -> dict[str, Any]:
    """Where the scenes of ``objects`` (auto | stamps | shapes) come from: the cut-out
    folder, the background photos' source, and the difficulty."""
    if objects == "auto":
        root, note = cutouts.build_auto()
    elif objects in ("stamps", "shapes"):
        try:
            root, note = cutouts.build(objects), f"{objects} (asked for)"
        except cutouts.DebianUnavailable as err:
            raise UserError(
                f"the tuxpaint stamps cannot be fetched with apt ({err}); use "
                "data.source=shapes (no apt) or your own COCO folder (data.source=coco)"
            ) from None
    else:
        raise UserError(f"unknown scene objects '{objects}'; valid: auto, stamps, shapes")
    manifest = cache.read_manifest(root)
    # Stamps sit on the photo wallpapers; shapes (the no-apt path) on the bundled photos.
    backgrounds = "auto" if manifest["kind"] == "stamps" else "bundled"
    photo_splits, _ = background_splits(backgrounds)
    counts = {split: 0 for split in PROTOCOL}
    per_class = {cls: {split: 0 for split in PROTOCOL} for cls in manifest["classes"]}
    for entry in manifest["files"].values():
        for split, protocol in PROTOCOL.items():
            if entry["split"] in protocol.pictures:
                counts[split] += 1
                per_class[entry["class"]][split] += 1
    return {
        "corpus": f"scenes-v{VERSION}",
        "objects": manifest["kind"],
        "objects_note": note,
        "classes": manifest["classes"],
        "object_pictures": counts,
        "object_pictures_per_class": per_class,
        "object_selection": manifest["selection"],
        "cutouts_dir": str(root),
        "backgrounds": backgrounds,
        "background_photos": {
            split: len(photo_splits[protocol.backgrounds]) for split, protocol in PROTOCOL.items()
        },
        "protocols": {
            "test": "instance: the training object pictures on held-out background photos",
            "novel": "category: unseen object pictures on the test background photos",
            "val": "as test, on its own background photos",
        },
        "difficulty": asdict(DIFFICULTY),
    }


@lru_cache(maxsize=8)
def scene_source(objects: str, split: str, seed: int) -> SceneSource:
    return SceneSource(objects, split, seed)
