"""Recorded speech as a ``tts``-layout corpus: a folder of recordings (``data.source=
folder``) or LJSpeech through tfds (``data.source=ljspeech``). Each recording gets eSpeak
NG's phonemes for its transcript and phoneme durations by a rule the user picks (there is
no aligner; see ``DURATIONS``); features and files are those of :mod:`deeptasks.datasets.tts`.
"""

from __future__ import annotations

import random
from pathlib import Path
from typing import Any

import numpy as np

from deeptasks.datasets import english_text, espeak
from deeptasks.datasets.cache import build_once
from deeptasks.datasets.tts import (
    HOP,
    N_FFT,
    SAMPLE_RATE,
    SILENCE,
    SPLITS,
    VERSION,
    durations_of,
    features,
    write_corpus,
)
from deeptasks.errors import UserError

# How a recording (source folder or ljspeech) gets its phoneme durations, with no aligner:
# espeak: eSpeak NG reads the transcript with data.voice; its phoneme events, on its own
#   speech span, are stretched linearly onto the recording's speech span (leading and
#   trailing silence found at 40 dB below the peak). Relative durations are eSpeak's.
# uniform: the recording's speech span shared equally among eSpeak's phonemes.
DURATIONS = ("espeak", "uniform")


def speech_span(samples: np.ndarray) -> tuple[int, int]:
    """``(first, end)`` sample of the speech in ``samples``: silence 40 dB below the
    peak trimmed at both ends."""
    import librosa

    _, (first, end) = librosa.effects.trim(
        np.asarray(samples, np.float32), top_db=40, frame_length=N_FFT, hop_length=HOP
    )
    return int(first), int(max(end, first + 1))


def recorded_utterance(samples: np.ndarray, text: str, voice: str, durations: str) -> dict:
    """A recording (float samples at ``SAMPLE_RATE``) of ``text``, with eSpeak's phonemes
    for the text and durations by the ``durations`` rule (see ``DURATIONS``)."""
    if durations not in DURATIONS:
        raise UserError(f"unknown data.durations '{durations}'; valid: {', '.join(DURATIONS)}")
    spoken, _, events = espeak.synthesize_phonemes(text, voice)
    if not events:
        raise UserError(f"eSpeak NG finds no phonemes in the transcript {text!r}")
    found = features(samples)
    first, end = speech_span(samples)
    starts = np.asarray([start for _, start in events], np.float64)
    if durations == "espeak":
        own_first, own_end = speech_span(np.asarray(spoken, np.float32) / 32768.0)
        position = (starts - own_first) / max(own_end - own_first, 1)
    else:
        position = np.arange(len(events)) / len(events)
    placed = first + np.clip(position, 0.0, 1.0) * (end - first)
    return found | {
        "phonemes": [SILENCE] + [name for name, _ in events],
        "durations": durations_of(list(placed), len(found["mel"])),
    }


def folder_recordings(folder: str | Path) -> list[tuple[str, Path, str]]:
    """``[(name, wav path, transcript)]`` of a folder of recordings, in one of two layouts:
    LJSpeech's (``metadata.csv`` of ``name|text[|normalised text]`` lines, the audio in
    ``wavs/name.wav``; the normalised text is read when there is one), or ``name.wav``
    beside ``name.txt``."""
    root = Path(folder).expanduser()
    if not str(folder) or not root.is_dir():
        raise UserError(
            f"data.folder={folder!r} is not a folder; give a folder of name.wav + name.txt "
            "pairs, or LJSpeech's layout (metadata.csv and wavs/)"
        )
    found = []
    metadata = root / "metadata.csv"
    if metadata.is_file():
        for number, line in enumerate(metadata.read_text(encoding="utf-8").splitlines(), 1):
            fields = line.split("|")
            if not line.strip():
                continue
            if len(fields) < 2 or not fields[-1].strip():
                raise UserError(f"{metadata} line {number} is not 'name|text'; fix or remove it")
            name, text = fields[0].strip(), fields[-1].strip()
            wav = root / "wavs" / f"{name}.wav"
            if not wav.is_file():
                wav = root / f"{name}.wav"
            if not wav.is_file():
                raise UserError(
                    f"{metadata} line {number} names {name}, but wavs/{name}.wav is missing"
                )
            found.append((name, wav, text))
    else:
        for wav in sorted(root.glob("*.wav")):
            transcript = wav.with_suffix(".txt")
            if transcript.is_file() and transcript.read_text(encoding="utf-8").strip():
                found.append(
                    (wav.stem, wav, " ".join(transcript.read_text(encoding="utf-8").split()))
                )
    if not found:
        raise UserError(
            f"{root} holds no recordings with transcripts; give name.wav + name.txt pairs, or "
            "LJSpeech's layout (metadata.csv and wavs/)"
        )
    return found


def folder_digest(recordings: list[tuple[str, Path, str]]) -> str:
    """A short fingerprint of the recordings (names, sizes, times, texts): a changed folder
    builds a new corpus."""
    import hashlib

    digest = hashlib.sha256()
    for name, wav, text in recordings:
        stat = wav.stat()
        digest.update(f"{name}|{stat.st_size}|{stat.st_mtime_ns}|{text}\n".encode())
    return digest.hexdigest()[:12]


def build_recorded(
    source: str,
    load: Any,
    fingerprint: str,
    train: int,
    val: int,
    test: int,
    seed: int,
    voice: str,
    durations: str,
) -> Path:
    """A corpus of recorded speech (``source`` ``folder`` or ``ljspeech``): ``load()``
    gives ``[(name, float samples at SAMPLE_RATE, transcript)]``. Transcripts are made
    unique by their normalised words, shuffled by ``seed``, and cut into ``test``, ``val``
    and up to ``train`` utterances; phonemes come from eSpeak NG (``voice``), durations
    by the ``durations`` rule."""
    if durations not in DURATIONS:
        raise UserError(f"unknown data.durations '{durations}'; valid: {', '.join(DURATIONS)}")
    espeak.text_to_phonemes("a", voice)  # an unknown voice fails here, before any build
    name = f"tts-{source}-v{VERSION}-{fingerprint}-{train}-{val}-{test}-s{seed}-{voice}-{durations}"

    def make(tmp: Path) -> dict:
        seen, recordings = set(), []
        for item in load():
            key = english_text.normalise(item[2])
            if key and key not in seen:
                seen.add(key)
                recordings.append(item)
        random.Random(seed).shuffle(recordings)
        if len(recordings) < val + test + 1:
            raise UserError(
                f"{source} holds {len(recordings)} distinct transcripts; it needs more than "
                f"data.val_utterances + data.test_utterances = {val + test}"
            )
        parts = {
            "test": recordings[:test],
            "val": recordings[test : test + val],
            "train": recordings[test + val : test + val + train],
        }
        chosen = {split: [(n, text) for n, _, text in parts[split]] for split in SPLITS}
        spoken = {
            split: [recorded_utterance(a, text, voice, durations) for _, a, text in parts[split]]
            for split in SPLITS
        }
        params = {"train": train, "val": val, "test": test, "seed": seed, "voice": voice}
        params |= {"durations": durations, "fingerprint": fingerprint}
        return write_corpus(
            tmp, chosen, spoken, f"tts-{source}", params, {"espeakng-loader": espeak.version()}
        )

    return build_once(name, make)


def read_recording(path: Path) -> np.ndarray:
    """A WAV (any rate, any channels) as mono float samples at ``SAMPLE_RATE``; one
    clear error if it is unreadable or empty."""
    from deeptasks.common.audio import read_audio

    return read_audio(path, SAMPLE_RATE)
