"""Fetch Debian packages into the data dir without touching the system's apt state.

apt is pointed at private list and cache folders, so the system's own lists are
neither read stale nor changed; this works as root and needs only the network to
the Debian mirror. Anything going wrong raises :class:`DebianUnavailable`, which a
corpus treats as "this source is not here" and falls back.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

APT_TIMEOUT_S = 300


class DebianUnavailable(RuntimeError):
    """apt is missing, offline, or does not have the package."""


def _apt_options(state: Path, extra: tuple[str, ...] = ()) -> list[str]:
    for sub in ("lists/partial", "cache/archives/partial"):
        (state / sub).mkdir(parents=True, exist_ok=True)
    return [
        "-o",
        f"Dir::State::Lists={state / 'lists'}",
        "-o",
        f"Dir::Cache={state / 'cache'}",
        "-o",
        "Debug::NoLocking=1",
        "-o",
        "APT::Sandbox::User=root",
        *[arg for option in extra for arg in ("-o", option)],
        "-qq",
    ]


def _run(args: list[str], cwd: Path | None = None) -> None:
    try:
        done = subprocess.run(args, cwd=cwd, capture_output=True, text=True, timeout=APT_TIMEOUT_S)
    except (OSError, subprocess.TimeoutExpired) as err:
        raise DebianUnavailable(f"{args[0]} failed: {err}") from None
    if done.returncode != 0:
        tail = (done.stderr or done.stdout).strip().splitlines()[-1:] or ["no output"]
        raise DebianUnavailable(f"{' '.join(args[:2])} exited {done.returncode}: {tail[0]}")


def fetch_packages(packages: list[str], dest: Path, state: Path) -> dict[str, dict]:
    """Download ``packages`` and unpack each into ``dest/<package>``.

    Returns ``{package: {"version": ..., "deb": file name, "root": unpacked folder}}``.
    """
    if shutil.which("apt-get") is None or shutil.which("dpkg-deb") is None:
        raise DebianUnavailable("apt-get/dpkg-deb not found (not a Debian-based system)")
    options = _apt_options(state)
    _run(["apt-get", *options, "update"])
    debs_dir = dest / "debs"
    debs_dir.mkdir(parents=True, exist_ok=True)
    _run(["apt-get", *options, "download", *packages], cwd=debs_dir)
    found: dict[str, dict] = {}
    for deb in sorted(debs_dir.glob("*.deb")):
        package, version = deb.name.split("_")[:2]
        root = dest / package
        _run(["dpkg-deb", "-x", str(deb), str(root)])
        found[package] = {"version": version.replace("%3a", ":"), "deb": deb.name, "root": root}
    missing = set(packages) - set(found)
    if missing:
        raise DebianUnavailable(f"apt did not deliver {', '.join(sorted(missing))}")
    return found


def fetch_lists(state: Path, languages: tuple[str, ...]) -> list[Path]:
    """``apt-get update`` into ``state/lists`` with the description translations of
    ``languages`` (``Translation-<lang>`` files, as the mirror compresses them), reading
    the system's sources. Returns the list files found there."""
    if shutil.which("apt-get") is None:
        raise DebianUnavailable("apt-get not found (not a Debian-based system)")
    # The image may disable translations (Acquire::Languages "none"); ours asks for them.
    options = _apt_options(state, (f"Acquire::Languages={','.join(languages)}",))
    _run(["apt-get", *options, "update"])
    return sorted(p for p in (state / "lists").iterdir() if p.is_file())


def read_list(path: Path) -> str:
    """The text of an apt list file in whatever compression apt kept it (lz4, gz, xz...)."""
    helper = Path("/usr/lib/apt/apt-helper")
    if path.suffix in ("", ".txt") or not helper.exists():
        return path.read_text(encoding="utf-8", errors="replace")
    try:
        done = subprocess.run(
            [str(helper), "cat-file", str(path)], capture_output=True, timeout=APT_TIMEOUT_S
        )
    except (OSError, subprocess.TimeoutExpired) as err:
        raise DebianUnavailable(f"apt-helper failed: {err}") from None
    if done.returncode != 0:
        raise DebianUnavailable(f"apt-helper cannot read {path.name}")
    return done.stdout.decode("utf-8", errors="replace")
