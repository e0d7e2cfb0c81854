"""The data directory, corpus manifests and build-once, atomic corpus builds."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from deeptasks.errors import UserError

MANIFEST = "manifest.json"


def data_dir() -> Path:
    """``$DEEPTASKS_DATA`` or ``~/.cache/deeptasks``; created on first use."""
    root = Path(os.environ.get("DEEPTASKS_DATA") or Path.home() / ".cache" / "deeptasks")
    try:
        root.mkdir(parents=True, exist_ok=True)
    except OSError as err:
        raise UserError(
            f"cannot create data dir {root}: {err}; set DEEPTASKS_DATA to a writable folder"
        ) from None
    return root


def sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def read_manifest(corpus_dir: Path) -> dict[str, Any]:
    return json.loads((Path(corpus_dir) / MANIFEST).read_text())


def build_once(name: str, build: Callable[[Path], dict[str, Any]]) -> Path:
    """Return ``<data dir>/<name>``, building it first if it is not there.

    ``build(tmp_dir)`` writes the corpus files into ``tmp_dir`` and returns the manifest
    (provenance of every file). The folder appears under its final name only when it is
    complete, so an interrupted build leaves nothing half-made behind, and a build that
    loses a race with another process uses the winner's copy.
    """
    final = data_dir() / name
    if (final / MANIFEST).is_file():
        return final
    tmp = Path(tempfile.mkdtemp(prefix=f".{name}.", dir=data_dir()))
    try:
        started = time.perf_counter()
        manifest = build(tmp)
        manifest.setdefault("corpus", name)
        manifest["build_seconds"] = round(time.perf_counter() - started, 2)
        (tmp / MANIFEST).write_text(json.dumps(manifest, indent=2) + "\n")
        if final.exists() and not (final / MANIFEST).is_file():
            shutil.rmtree(final)  # debris of an older, interrupted layout
        try:
            os.rename(tmp, final)
        except OSError:
            if not (final / MANIFEST).is_file():
                raise
    finally:
        if tmp.exists():
            shutil.rmtree(tmp, ignore_errors=True)
    return final
