"""eSpeak NG through ``ctypes``: text -> 16-bit audio in memory, no subprocess, no network.

The PyPI wheel ``espeakng-loader`` ships ``libespeak-ng`` and its data folder; we call the
library's C API directly (``espeak_Initialize`` in synchronous mode, a synth callback that
collects the samples, ``espeak_SetVoiceByName`` / ``espeak_SetParameter`` for the voice,
rate and pitch). The library starts with phoneme events on (``espeak_Initialize``
options=1): the callback then also gets a PHONEME event per phoneme, with its name and its
absolute sample position, which text-to-speech turns into phoneme durations; the audio is
the same either way. The library keeps global state, so one process holds one engine, guarded
by a lock; corpus builds that want more speed use worker processes.

The engine reads its data through a private folder of links to the wheel's (made in the
temp dir, removed at exit) whose ``voices/`` also takes voice files written at run time
(``add_voice``), so new accents can be defined without touching the installed package.
"""

from __future__ import annotations

import atexit
import ctypes
import shutil
import tempfile
import threading
from functools import cache
from importlib import metadata
from pathlib import Path

import numpy as np

from deeptasks.errors import UserError

# espeak_AUDIO_OUTPUT and espeak_PARAMETER values from speak_lib.h
AUDIO_OUTPUT_SYNCHRONOUS = 2
PARAM_RATE, PARAM_VOLUME, PARAM_PITCH, PARAM_RANGE = 1, 2, 3, 4
POS_CHARACTER = 1
CHARS_UTF8 = 1
INITIALIZE_PHONEME_EVENTS = 1
EVENT_LIST_TERMINATED, EVENT_PHONEME = 0, 7
# Clause ends: the two pause phonemes eSpeak NG puts after every clause it speaks.
CLAUSE_PAUSE = ("_:", "_")


class _Event(ctypes.Structure):
    """``espeak_EVENT`` of speak_lib.h (``id`` is the union; a phoneme's name is its
    ``string[8]``)."""

    _fields_ = [
        ("type", ctypes.c_int),
        ("unique_identifier", ctypes.c_uint),
        ("text_position", ctypes.c_int),
        ("length", ctypes.c_int),
        ("audio_position", ctypes.c_int),
        ("sample", ctypes.c_int),
        ("user_data", ctypes.c_void_p),
        ("id", ctypes.c_char * 8),
    ]


SYNTH_CALLBACK = ctypes.CFUNCTYPE(
    ctypes.c_int, ctypes.POINTER(ctypes.c_short), ctypes.c_int, ctypes.POINTER(_Event)
)


class _Engine:
    """The process's one initialised eSpeak NG library."""

    def __init__(self):
        try:
            import espeakng_loader
        except ImportError:
            raise UserError(
                "the speech corpus needs eSpeak NG: pip install espeakng-loader"
            ) from None
        self.lib = ctypes.CDLL(espeakng_loader.get_library_path())
        self.lib.espeak_Initialize.restype = ctypes.c_int
        self.lib.espeak_SetVoiceByName.argtypes = [ctypes.c_char_p]
        self.lib.espeak_Synth.argtypes = [
            ctypes.c_void_p,
            ctypes.c_size_t,
            ctypes.c_uint,
            ctypes.c_int,
            ctypes.c_uint,
            ctypes.c_uint,
            ctypes.c_void_p,
            ctypes.c_void_p,
        ]
        self.lib.espeak_TextToPhonemes.restype = ctypes.c_char_p
        self.lib.espeak_TextToPhonemes.argtypes = [
            ctypes.POINTER(ctypes.c_char_p),
            ctypes.c_int,
            ctypes.c_int,
        ]
        self.shipped = Path(espeakng_loader.get_data_path())
        self.data = _linked_data(self.shipped)
        self.sample_rate = self.lib.espeak_Initialize(
            AUDIO_OUTPUT_SYNCHRONOUS, 0, str(self.data).encode(), INITIALIZE_PHONEME_EVENTS
        )
        if self.sample_rate <= 0:
            raise UserError(f"eSpeak NG failed to start (data at {self.shipped})")
        self.chunks: list[np.ndarray] = []
        self.phonemes: list[tuple[str, int]] = []
        self.callback = SYNTH_CALLBACK(self._collect)  # kept alive as long as the engine
        self.lib.espeak_SetSynthCallback(self.callback)
        self.lock = threading.Lock()

    def _collect(self, wav, count, events) -> int:
        if count > 0:
            self.chunks.append(np.ctypeslib.as_array(wav, (count,)).copy())
        index = 0
        while events and events[index].type != EVENT_LIST_TERMINATED:
            event = events[index]
            if event.type == EVENT_PHONEME:
                name = event.id.decode("ascii", errors="replace")
                self.phonemes.append((name, int(event.sample)))
            index += 1
        return 0  # 0 = go on synthesising

    def _voice(self, voice: str) -> None:
        if self.lib.espeak_SetVoiceByName(voice.encode()) != 0:
            raise UserError(f"eSpeak NG has no voice '{voice}'; e.g. en-us+f3, en-gb-scotland+m1")

    def synthesize(
        self, text: str, voice: str, rate: int, pitch: int, seed: int
    ) -> tuple[np.ndarray, list[tuple[str, int]]]:
        with self.lock:
            self._voice(voice)
            self.lib.espeak_SetParameter(PARAM_RATE, int(rate), 0)
            self.lib.espeak_SetParameter(PARAM_PITCH, int(pitch), 0)
            self.lib.espeak_ng_SetRandSeed(int(seed))  # klatt voices draw random noise
            encoded = text.encode("utf-8") + b"\0"
            self.chunks, self.phonemes = [], []
            self.lib.espeak_Synth(
                encoded, len(encoded), 0, POS_CHARACTER, 0, CHARS_UTF8, None, None
            )
            self.lib.espeak_Synchronize()
            chunks, self.chunks = self.chunks, []
            phonemes, self.phonemes = self.phonemes, []
        return (np.concatenate(chunks) if chunks else np.zeros(0, np.int16)), phonemes

    def text_to_phonemes(self, text: str, voice: str) -> list[str]:
        with self.lock:
            self._voice(voice)
            pointer = ctypes.c_char_p(text.encode("utf-8"))
            names: list[str] = []
            separator = ord("|") << 8  # bits 8-23: the character between phoneme names
            while pointer.value:  # one clause a call; the pointer moves past it
                clause = self.lib.espeak_TextToPhonemes(
                    ctypes.byref(pointer), CHARS_UTF8, separator
                )
                words = (clause or b"").decode("ascii", errors="replace").split()
                names += [name for word in words for name in word.split("|") if name]
                names += CLAUSE_PAUSE
        return names


def _linked_data(shipped: Path) -> Path:
    """A temp folder that mirrors ``shipped`` by links, except ``voices/``, a real folder
    (with the shipped variants ``!v`` linked in) that ``add_voice`` writes to."""
    folder = Path(tempfile.mkdtemp(prefix="deeptasks-espeak-"))
    atexit.register(shutil.rmtree, folder, True)
    try:
        for entry in shipped.iterdir():
            if entry.name != "voices":
                (folder / entry.name).symlink_to(entry)
        (folder / "voices").mkdir()
        for entry in (shipped / "voices").iterdir():
            (folder / "voices" / entry.name).symlink_to(entry)
    except OSError:  # a file system without links: a copy (19 MB)
        shutil.rmtree(folder, ignore_errors=True)
        shutil.copytree(shipped, folder)
    return folder


_ENGINE: _Engine | None = None


def engine() -> _Engine:
    global _ENGINE
    if _ENGINE is None:
        _ENGINE = _Engine()
    return _ENGINE


def synthesize(
    text: str, voice: str = "en-us", rate: int = 175, pitch: int = 50, seed: int = 0
) -> tuple[np.ndarray, int]:
    """Speak ``text``: ``(int16 samples, sample rate)`` (22 050 Hz for eSpeak NG).

    Args:
        text: what to say (UTF-8).
        voice: a language with an optional ``+variant``, e.g. ``"en-gb-scotland+f2"``.
        rate: words per minute (80-450).
        pitch: 0-100 (50 is the voice's normal pitch).
        seed: fixes the random parts of a voice, so the same call gives the same audio.

    Example:
        >>> samples, sample_rate = synthesize("hello world", "en-us+m3")
    """
    return engine().synthesize(text, voice, rate, pitch, seed)[0], engine().sample_rate


def synthesize_phonemes(
    text: str, voice: str = "en-us", rate: int = 175, pitch: int = 50, seed: int = 0
) -> tuple[np.ndarray, int, list[tuple[str, int]]]:
    """:func:`synthesize`, with the phonemes spoken: ``(samples, rate, [(name, first
    sample), ...])`` from eSpeak NG's PHONEME events, in order; names are eSpeak's
    mnemonics with stress marks (``'oU``), and each clause ends in the pauses ``_:``
    ``_``."""
    samples, phonemes = engine().synthesize(text, voice, rate, pitch, seed)
    return samples, engine().sample_rate, phonemes


def text_to_phonemes(text: str, voice: str = "en-us") -> list[str]:
    """The phonemes eSpeak NG would speak for ``text``, without synthesis
    (``espeak_TextToPhonemes``, clause by clause, each clause closed by ``_:`` ``_`` as
    the PHONEME events close it). The same sequence as :func:`synthesize_phonemes` for
    most sentences; where they differ it is a stress mark on a short clause."""
    return engine().text_to_phonemes(text, voice)


@cache
def language_file(language: str) -> str:
    """The text of the shipped voice file of a language, e.g. ``"en-gb-scotland"``."""
    found = [
        path
        for path in (engine().shipped / "lang").rglob("*")
        if path.is_file() and path.name.lower() == language.lower()
    ]
    if not found:
        raise UserError(f"eSpeak NG has no language '{language}'; e.g. en-us, en-gb-scotland")
    return found[0].read_text(encoding="utf-8", errors="replace")


def add_voice(name: str, text: str) -> None:
    """Make voice ``name`` (usable with ``+variant`` like a shipped one) from the text of an
    eSpeak NG voice file (``phonemes``, ``dictrules``, ``replace`` ... lines)."""
    if not name or "/" in name or "+" in name or name.startswith((".", "!")):
        raise UserError(f"'{name}' cannot name a voice; use letters, digits and '-'")
    (engine().data / "voices" / name).write_text(text, encoding="utf-8")


def version() -> str:
    try:
        return metadata.version("espeakng-loader")
    except metadata.PackageNotFoundError:
        return "unknown"
