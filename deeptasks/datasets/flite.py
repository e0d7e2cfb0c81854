"""Flite, CMU's small synthesis engine, from Debian's packages: a second speech engine
beside eSpeak NG.

``flite`` and ``libflite1`` are fetched once into ``<data dir>/engine-flite-v1`` (see
:mod:`deeptasks.datasets.debian`; nothing is installed system-wide) and the program runs
from there with its own libraries. Its English voices:

- ``awb``, ``rms``, ``slt``: clustergen (statistical parametric) voices built from CMU
  ARCTIC recordings of real speakers (a Scottish male, an American male and female);
- ``kal16`` (16 kHz) and ``kal`` (8 kHz): diphone voices of one American male.

Rate and pitch vary per utterance through Flite's ``duration_stretch`` and
``int_f0_target_mean`` features; volume is a gain on the samples.
"""

from __future__ import annotations

import os
import subprocess
import tempfile
import wave
from functools import lru_cache
from pathlib import Path

import numpy as np

from deeptasks.datasets import cache
from deeptasks.datasets.debian import DebianUnavailable, fetch_packages
from deeptasks.errors import UserError

PACKAGES = ("flite", "libflite1")
VOICES = ("awb", "rms", "slt", "kal16", "kal")
CORPUS = "engine-flite-v1"
TIMEOUT_S = 60


def _fetch(root: Path) -> dict:
    fetched = fetch_packages(list(PACKAGES), root / "pkgs", root / ".state")
    return {
        "engine": "flite",
        "packages": {name: found["version"] for name, found in fetched.items()},
        "voices": list(VOICES),
    }


@lru_cache(maxsize=1)
def install() -> Path:
    """The unpacked packages' folder, fetched on first use. Raises
    :class:`~deeptasks.datasets.debian.DebianUnavailable` where apt cannot deliver them."""
    return cache.build_once(CORPUS, _fetch)


def version() -> str:
    return cache.read_manifest(install())["packages"]["flite"]


def synthesize(
    text: str, voice: str = "slt", stretch: float = 1.0, f0_mean: float = 0.0, gain: float = 1.0
) -> tuple[np.ndarray, int]:
    """Speak ``text`` with a Flite voice: ``(int16 samples, sample rate)``.

    Args:
        text: what to say.
        voice: one of :data:`VOICES`.
        stretch: duration factor (above 1 is slower).
        f0_mean: the voice's target mean F0 in Hz (0 = its own).
        gain: amplitude factor (the result is clipped to int16).

    Example:
        >>> samples, rate = synthesize("hello world", "slt", stretch=1.1)
    """
    if voice not in VOICES:
        raise UserError(f"unknown Flite voice '{voice}'; choose one of {', '.join(VOICES)}")
    if not text.strip():
        raise UserError("nothing to say: the text is empty")
    root = install() / "pkgs"
    program = root / "flite" / "usr" / "bin" / "flite"
    libraries = next((root / "libflite1" / "usr" / "lib").iterdir())
    command = [str(program), "-voice", voice, "--setf", f"duration_stretch={stretch:g}"]
    if f0_mean > 0:
        command += ["--setf", f"int_f0_target_mean={f0_mean:g}"]
    with tempfile.TemporaryDirectory() as folder:
        target = Path(folder) / "out.wav"
        try:
            done = subprocess.run(
                [*command, "-t", text, "-o", str(target)],
                env={**os.environ, "LD_LIBRARY_PATH": str(libraries)},
                capture_output=True,
                text=True,
                timeout=TIMEOUT_S,
            )
        except (OSError, subprocess.TimeoutExpired) as err:
            raise DebianUnavailable(f"flite did not run: {err}") from None
        if done.returncode != 0 or not target.exists():
            tail = (done.stderr or done.stdout or "no output").strip().splitlines()[-1]
            raise DebianUnavailable(f"flite exited {done.returncode}: {tail}")
        with wave.open(str(target)) as handle:
            rate = handle.getframerate()
            samples = np.frombuffer(handle.readframes(handle.getnframes()), np.int16)
    scaled = np.clip(np.round(samples.astype(np.float32) * gain), -32768, 32767)
    return scaled.astype(np.int16), rate
