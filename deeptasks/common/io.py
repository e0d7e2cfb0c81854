"""Reading and writing user files with clear errors; every write is atomic."""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path
from typing import Any

import numpy as np

from deeptasks.errors import UserError

IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".bmp", ".tif", ".tiff", ".webp", ".gif", ".ppm")
# Pillow modes we can turn into 8-bit RGB(A) or grey without guessing at the meaning.
_GREY_MODES = {"L", "1", "I;16", "I;16B", "I;16L", "I"}
_COLOUR_MODES = {"RGB", "RGBA", "P", "LA", "PA", "RGBX"}
_UMASK = os.umask(0)
os.umask(_UMASK)


def atomic_write_bytes(path: Path, data: bytes) -> Path:
    """Write ``data`` to ``path`` through a temporary file in the same folder, then rename."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
        os.chmod(tmp, 0o666 & ~_UMASK)  # mkstemp makes 0600; give the usual permissions
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path


def write_text(path: Path, text: str) -> Path:
    return atomic_write_bytes(path, text.encode("utf-8"))


def write_json(path: Path, value: Any) -> Path:
    return write_text(path, json.dumps(value, indent=2, sort_keys=False) + "\n")


def read_json(path: Path) -> Any:
    try:
        return json.loads(Path(path).read_text())
    except FileNotFoundError:
        raise UserError(f"missing file {path}") from None
    except (OSError, json.JSONDecodeError) as err:
        raise UserError(f"cannot read JSON from {path}: {err}") from None


def refuse_overwrite(path: Path, force: bool) -> None:
    """Stop before a user's file is replaced, unless ``force`` says it may be."""
    if Path(path).exists() and not force:
        raise UserError(f"{path} already exists; pass --force to overwrite it or choose another -o")


def existing_file(path: str | Path, name: str, plural: str, suffix: str) -> Path:
    """``path`` as a Path, or one :class:`UserError` if it is missing or a folder (which
    then suggests a glob of ``*.suffix``)."""
    path = Path(path)
    if not path.exists():
        raise UserError(f"{name} not found: {path}")
    if path.is_dir():
        raise UserError(f"{path} is a folder; give {plural} (or a glob such as {path}/*.{suffix})")
    return path


def read_image(path: str | Path) -> tuple[np.ndarray, str]:
    """Read an image file as ``(uint8 array HxWxC, kind)``.

    ``kind`` is ``"grey"`` (C=1), ``"rgb"`` (C=3) or ``"rgba"`` (C=4). 16-bit grey is scaled
    to 8 bits. Other modes (CMYK, float, multi-layer) are refused with a clear message.
    """
    from PIL import Image, UnidentifiedImageError

    path = existing_file(path, "image", "image files", "png")
    try:
        with Image.open(path) as img:
            img.load()
            mode = img.mode
            if mode in _GREY_MODES:
                arr = np.asarray(img)
                if arr.dtype != np.uint8:
                    top = 65535.0 if arr.max() > 255 else 255.0
                    arr = np.clip(np.round(arr.astype(np.float64) * 255.0 / top), 0, 255)
                return arr.astype(np.uint8)[..., None], "grey"
            if mode not in _COLOUR_MODES:
                raise UserError(
                    f"{path}: unsupported image mode {mode}; convert it to RGB, RGBA or grey PNG"
                )
            has_alpha = mode in ("RGBA", "LA", "PA") or (mode == "P" and "transparency" in img.info)
            img = img.convert("RGBA" if has_alpha else "RGB")
            return np.asarray(img, dtype=np.uint8).copy(), "rgba" if has_alpha else "rgb"
    except UnidentifiedImageError:
        raise UserError(f"{path} is not a readable image; give a PNG, JPEG, BMP or TIFF") from None
    except OSError as err:
        raise UserError(f"cannot read image {path}: {err}") from None


def write_image(path: Path, array: np.ndarray) -> Path:
    """Write a uint8 HxW, HxWx1, HxWx3 or HxWx4 array as an image (PNG by suffix)."""
    import io

    from PIL import Image

    arr = np.asarray(array)
    if arr.dtype != np.uint8:
        raise ValueError(f"write_image wants uint8, got {arr.dtype}")
    if arr.ndim == 3 and arr.shape[-1] == 1:
        arr = arr[..., 0]
    buffer = io.BytesIO()
    Image.fromarray(arr).save(
        buffer, format=Image.registered_extensions().get(Path(path).suffix.lower(), "PNG")
    )
    return atomic_write_bytes(path, buffer.getvalue())


def to_uint8(image: np.ndarray) -> np.ndarray:
    """[0, 1] floats -> rounded uint8, as SR papers quantise their outputs."""
    return np.clip(np.round(np.asarray(image, dtype=np.float64) * 255.0), 0, 255).astype(np.uint8)


def write_example_image(image: np.ndarray, folder: Path) -> list[Path]:
    """``image`` cropped to at most 96 x 128 as ``folder/example.png``: an input a vision
    task's ``predict`` takes, small enough to run in a second (``Task.example_inputs``)."""
    return [write_image(Path(folder) / "example.png", np.asarray(image)[:96, :128])]
