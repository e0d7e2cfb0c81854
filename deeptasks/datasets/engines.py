"""Speech engines beside eSpeak NG, from Debian's packages: Flite and Festival.

Each engine's packages are fetched once into ``<data dir>/engine-<name>-v1`` (see
:mod:`deeptasks.datasets.debian`; nothing is installed system-wide), and its program
runs from there with its own libraries.

- **Flite** (``flite``): ``awb``, ``rms`` and ``slt`` are clustergen (statistical
  parametric) voices built from CMU ARCTIC recordings of real speakers (a Scottish male,
  an American male and female); ``kal16`` (16 kHz) and ``kal`` (8 kHz) are diphone voices
  of one American male.
- **Festival** (``festival``): ``cmu_us_slt_arctic_hts``, an HTS statistical voice
  trained on the ARCTIC ``slt`` speaker (32 kHz), and ``kal_diphone`` and ``ked_diphone``,
  residual-LPC diphone voices of two American males.

Rate (``stretch``) and, where the voice has the control, pitch (``f0_mean``) vary per
call; volume is a gain on the samples.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
import wave
from functools import lru_cache
from pathlib import Path

import numpy as np

from deeptasks.datasets import cache
from deeptasks.datasets.debian import DebianUnavailable, fetch_packages
from deeptasks.errors import UserError

VOICES = {
    "flite": ("awb", "rms", "slt", "kal16", "kal"),
    "festival": ("cmu_us_slt_arctic_hts", "kal_diphone", "ked_diphone"),
}
# festival and the shared libraries it needs beyond a minimal Debian (bookworm names)
PACKAGES = {
    "flite": ("flite", "libflite1"),
    "festival": (
        "festival",
        "festlex-cmu",
        "festlex-poslex",
        "festvox-kallpc16k",
        "festvox-kdlpc16k",
        "festvox-us-slt-hts",
        "libestools2.5",
        "libasound2",
        "libpulse0",
        "libsndfile1",
        "libasyncns0",
        "libflac12",
        "libvorbis0a",
        "libvorbisenc2",
        "libopus0",
        "libogg0",
        "libmpg123-0",
        "libmp3lame0",
    ),
}
# Festival's diphone voices follow this target mean F0 (their intonation model's own)
FESTIVAL_F0 = (
    "(set! int_lr_params (list (list 'target_f0_mean {f0:g}) (list 'target_f0_std {std:g}) "
    "(list 'model_f0_mean 170) (list 'model_f0_std 34)))"
)
TIMEOUT_S = 60


def _fetch(engine: str, root: Path) -> dict:
    fetched = fetch_packages(list(PACKAGES[engine]), root / "pkgs", root / ".state")
    if engine == "festival":  # one library folder: the program's scheme, lexicons, voices
        for found in fetched.values():
            share = found["root"] / "usr" / "share" / "festival"
            if share.is_dir():
                shutil.copytree(share, root / "festival", dirs_exist_ok=True)
    return {
        "engine": engine,
        "packages": {name: found["version"] for name, found in fetched.items()},
        "voices": list(VOICES[engine]),
    }


def _check(engine: str) -> None:
    if engine not in VOICES:
        raise UserError(f"unknown speech engine '{engine}'; choose one of {', '.join(VOICES)}")


@lru_cache(maxsize=4)
def install(engine: str) -> Path:
    """The engine's folder, fetched on first use. Raises
    :class:`~deeptasks.datasets.debian.DebianUnavailable` where apt cannot deliver it."""
    _check(engine)
    return cache.build_once(f"engine-{engine}-v1", lambda root: _fetch(engine, root))


def version(engine: str) -> str:
    return cache.read_manifest(install(engine))["packages"][engine]


@lru_cache(maxsize=4)
def _libraries(root: Path) -> str:
    """The engine's library folders, as ``LD_LIBRARY_PATH`` (read once per engine)."""
    folders = sorted({p.parent for p in (root / "pkgs").glob("*/usr/lib/**/*.so*")})
    return os.pathsep.join(map(str, folders))


def _command(engine: str, root: Path, text: str, voice: str, stretch: float, f0: float, out):
    if engine == "flite":
        command = [str(root / "pkgs" / "flite" / "usr" / "bin" / "flite"), "-voice", voice]
        command += ["--setf", f"duration_stretch={stretch:g}"]
        if f0 > 0:
            command += ["--setf", f"int_f0_target_mean={f0:g}"]
        return [*command, "-t", text, "-o", str(out)], {}
    quoted = text.replace("\\", "\\\\").replace('"', '\\"')
    lines = [f"(voice_{voice})", f"(Parameter.set 'Duration_Stretch {stretch:g})"]
    if f0 > 0 and voice.endswith("_diphone"):
        lines.append(FESTIVAL_F0.format(f0=f0, std=0.14 * f0))
    lines += [f'(set! u (SynthText "{quoted}"))', f'(utt.save.wave u "{out}" \'riff)']
    script = Path(out).with_suffix(".scm")
    script.write_text("\n".join(lines) + "\n")
    library = root / "festival"
    program = root / "pkgs" / "festival" / "usr" / "bin" / "festival"
    command = [str(program), "--libdir", str(library), "--datadir", str(library)]
    return [*command, "-b", str(script)], {"FESTLIBDIR": str(library)}


def synthesize(
    engine: str,
    text: str,
    voice: str,
    stretch: float = 1.0,
    f0_mean: float = 0.0,
    gain: float = 1.0,
) -> tuple[np.ndarray, int]:
    """Speak ``text`` with an engine's voice: ``(int16 samples, sample rate)``.

    Args:
        engine: ``"flite"`` or ``"festival"``.
        text: what to say.
        voice: one of ``VOICES[engine]``.
        stretch: duration factor (above 1 is slower).
        f0_mean: target mean F0 in Hz (0 = the voice's own; Flite's voices and
            Festival's diphone voices have the control, the HTS voice ignores it).
        gain: amplitude factor (the result is clipped to int16).

    Example:
        >>> samples, rate = synthesize("flite", "hello world", "slt", stretch=1.1)
    """
    _check(engine)
    if voice not in VOICES[engine]:
        raise UserError(
            f"unknown {engine} voice '{voice}'; choose one of {', '.join(VOICES[engine])}"
        )
    if not text.strip():
        raise UserError("nothing to say: the text is empty")
    root = install(engine)
    with tempfile.TemporaryDirectory() as folder:
        target = Path(folder) / "out.wav"
        command, env = _command(engine, root, text, voice, stretch, f0_mean, target)
        try:
            done = subprocess.run(
                command,
                env={**os.environ, "LD_LIBRARY_PATH": _libraries(root), **env},
                capture_output=True,
                text=True,
                timeout=TIMEOUT_S,
            )
        except (OSError, subprocess.TimeoutExpired) as err:
            raise DebianUnavailable(f"{engine} did not run: {err}") from None
        if done.returncode != 0 or not target.exists():
            tail = (done.stderr or done.stdout or "no output").strip().splitlines()[-1:]
            raise DebianUnavailable(f"{engine} exited {done.returncode}: {''.join(tail)}")
        with wave.open(str(target)) as handle:
            rate = handle.getframerate()
            samples = np.frombuffer(handle.readframes(handle.getnframes()), np.int16)
    scaled = np.clip(np.round(samples.astype(np.float32) * gain), -32768, 32767)
    return scaled.astype(np.int16), rate
