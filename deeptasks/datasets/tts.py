"""The ``tts`` corpus: English sentences read by one eSpeak NG voice at 22,050 Hz, with
phoneme durations from eSpeak itself, log-mel spectrograms, F0 and energy.

Built once into ``<data dir>/tts-v1-<params>/`` (atomically; a second run reuses it)::

    manifest.json         build parameters, versions, counts, the phoneme inventory,
                          feature statistics, the documents of each split
    train.jsonl val.jsonl test.jsonl    one utterance a line: text, document, phonemes
    train.npz val.npz test.npz          the arrays, concatenated, with offsets

Sentences (3-20 words, punctuation kept) come from the English documents of
:mod:`deeptasks.datasets.english` (Shakespeare's plays, the standard library's
docstrings), **split by document**: the test and validation sentences come from plays and
modules training never reads, and a sentence whose normalised words also occur in
training is dropped from training, so no test sentence is ever heard in training.

Durations: eSpeak NG reports a PHONEME event per phoneme with its first sample
(:func:`deeptasks.datasets.espeak.synthesize_phonemes`). A phoneme starting at sample
``s`` starts at frame ``round(s / HOP)``; a leading-silence token ``<sil>`` covers the
frames before the first phoneme, and the last phoneme runs to the end, so the durations
sum exactly to the mel's frame count. A phoneme shorter than about half a hop (about 6%
of them, mostly the clause-final ``_`` and fast plosives) gets **0 frames on purpose**:
it stays in the phoneme sequence (the encoder reads it) but adds no frames; its pitch and
energy are read at its boundary frame.

Features at ``HOP`` = 256 samples (11.6 ms), frame ``t`` centred on sample ``t * HOP``:
80-band log-mel (natural log of the magnitude, floor 1e-5) from 0 to 11,025 Hz (Nyquist:
eSpeak has energy above 8 kHz), F0 in Hz per frame (WORLD's DIO + StoneMask via
``pyworld``; 0 = unvoiced), and energy (the L2 norm of the frame's STFT magnitude).
"""

from __future__ import annotations

import json
import random
import re
import warnings
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np

from deeptasks.datasets import english, english_text, espeak
from deeptasks.datasets.cache import build_once, read_manifest
from deeptasks.errors import UserError

VERSION = 1
SPLITS = ("train", "val", "test")
SAMPLE_RATE = 22050
HOP = 256
N_FFT = 1024
N_MELS = 80
F_MAX = SAMPLE_RATE / 2
LOG_FLOOR = 1e-5
SILENCE = "<sil>"
PAD = "<pad>"
UNKNOWN = "<unk>"
SOURCES = ("shakespeare", "docstrings")
# Characters a sentence may hold: what eSpeak reads as English words and punctuation.
SPEAKABLE = re.compile(r"^[A-Za-z0-9 ,.;:!?'\"()&%-]+$")


def corpus_name(train: int, val: int, test: int, seed: int, voice: str, max_words: int) -> str:
    return f"tts-v{VERSION}-{train}-{val}-{test}-w{max_words}-s{seed}-{voice}"


def build(
    train: int = 2000,
    val: int = 100,
    test: int = 100,
    seed: int = 0,
    voice: str = "en-us",
    max_words: int = 20,
) -> Path:
    """The corpus folder for these sizes and this voice, built first if it is not there."""
    if min(train, val, test) < 1:
        raise UserError(f"tts corpus splits need >= 1 utterance each; got {train}/{val}/{test}")
    if not 3 <= max_words <= 40:
        raise UserError(f"data.max_words must be in 3..40; got {max_words}")
    espeak.text_to_phonemes("a", voice)  # an unknown voice fails here, before any build
    name = corpus_name(train, val, test, seed, voice, max_words)
    return build_once(name, lambda tmp: _build(tmp, train, val, test, seed, voice, max_words))


def speakable(line: str) -> bool:
    return bool(SPEAKABLE.match(line)) and sum(c.isalpha() for c in line) >= 0.7 * len(line)


def split_sentences(max_words: int) -> dict[str, list[tuple[str, str]]]:
    """``{split: [(document, sentence), ...]}``: the lines of 3-``max_words`` words of each
    split's documents, speakable, unique, and training without any line whose normalised
    words are a held-out line's."""
    documents = english.split_documents(SOURCES, "", 3, 4)
    found: dict[str, list[tuple[str, str]]] = {}
    for split in SPLITS:
        seen, kept = set(), []
        for name, text in documents[split]:
            for raw in text.split("\n"):
                line = " ".join(raw.split())
                key = english_text.normalise(line)
                if 3 <= len(key.split()) <= max_words and speakable(line) and key not in seen:
                    seen.add(key)
                    kept.append((name, line))
        found[split] = kept
    held = {english_text.normalise(s) for split in ("val", "test") for _, s in found[split]}
    found["train"] = [(d, s) for d, s in found["train"] if english_text.normalise(s) not in held]
    return found


@lru_cache(maxsize=1)
def mel_basis() -> np.ndarray:
    """The ``[N_MELS, N_FFT // 2 + 1]`` mel filter bank (librosa's, 0 to 11,025 Hz)."""
    import librosa

    return librosa.filters.mel(sr=SAMPLE_RATE, n_fft=N_FFT, n_mels=N_MELS, fmin=0.0, fmax=F_MAX)


def magnitude(samples: np.ndarray) -> np.ndarray:
    """``[frames, N_FFT // 2 + 1]`` STFT magnitude of float samples whose length is a
    multiple of ``HOP``: ``len / HOP`` frames (centred, the one past the end dropped)."""
    import librosa

    spectrum = librosa.stft(np.asarray(samples, np.float32), n_fft=N_FFT, hop_length=HOP)
    return np.abs(spectrum).T[: len(samples) // HOP]


def log_mel(samples: np.ndarray, spectrum: np.ndarray | None = None) -> np.ndarray:
    """``[frames, N_MELS]`` float32 log-mel of float samples (or of their
    :func:`magnitude`, when it is known already)."""
    spectrum = magnitude(samples) if spectrum is None else spectrum
    return np.log(np.maximum(spectrum @ mel_basis().T, LOG_FLOOR)).astype(np.float32)


def frame_f0(samples: np.ndarray) -> np.ndarray:
    """F0 in Hz per frame (0 = unvoiced), WORLD's DIO refined by StoneMask."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # pyworld imports pkg_resources
        import pyworld

    signal = np.asarray(samples, np.float64)
    period = 1000.0 * HOP / SAMPLE_RATE
    f0, times = pyworld.dio(signal, SAMPLE_RATE, f0_floor=60.0, f0_ceil=500.0, frame_period=period)
    f0 = pyworld.stonemask(signal, f0, times, SAMPLE_RATE)
    frames = len(samples) // HOP
    return np.pad(f0, (0, max(0, frames - len(f0))))[:frames].astype(np.float32)


def durations_of(starts: list[int], frames: int) -> np.ndarray:
    """Frame counts of ``<sil>`` + the phonemes starting at samples ``starts``; they sum
    to ``frames``, and a phoneme shorter than about half a hop gets 0."""
    bounds = np.clip(np.round(np.asarray(starts, np.float64) / HOP), 0, frames).astype(np.int64)
    bounds = np.maximum.accumulate(bounds)
    return np.diff(np.concatenate([[0], bounds, [frames]])).astype(np.int32)


def phoneme_means(values: np.ndarray, durations: np.ndarray, voiced_only: bool) -> np.ndarray:
    """Each phoneme's mean of a per-frame ``values`` over its frames (``voiced_only``:
    the frames with values > 0, else 0); a 0-frame phoneme reads its boundary frame."""
    ends = np.cumsum(durations)
    starts = ends - durations
    out = np.zeros(len(durations), np.float32)
    for k, (start, end) in enumerate(zip(starts, ends)):
        span = values[start:end] if end > start else values[min(start, len(values) - 1)][None]
        if voiced_only:
            span = span[span > 0]
        out[k] = float(span.mean()) if len(span) else 0.0
    return out


def features(samples: np.ndarray) -> dict[str, Any]:
    """A recording (float samples at ``SAMPLE_RATE``), zero-padded to a whole number of
    frames, with its per-frame features: ``audio`` (int16), ``mel``, ``f0``, ``energy``."""
    samples = np.asarray(samples, np.float32)
    frames = -(-len(samples) // HOP)
    audio = np.zeros(frames * HOP, np.int16)
    audio[: len(samples)] = np.clip(np.round(samples * 32768.0), -32768, 32767)
    signal = audio.astype(np.float32) / 32768.0
    spectrum = magnitude(signal)
    return {
        "audio": audio,
        "mel": log_mel(signal, spectrum),
        "f0": frame_f0(signal),
        "energy": np.linalg.norm(spectrum, axis=1).astype(np.float32),
    }


def utterance(text: str, voice: str) -> dict[str, Any]:
    """One sentence spoken, with its phonemes, durations and features."""
    samples, rate, events = espeak.synthesize_phonemes(text, voice)
    if rate != SAMPLE_RATE:
        raise UserError(f"eSpeak NG speaks at {rate} Hz here; the tts corpus needs 22050 Hz")
    found = features(np.asarray(samples, np.float32) / 32768.0)
    return found | {
        "phonemes": [SILENCE] + [name for name, _ in events],
        "durations": durations_of([start for _, start in events], len(found["mel"])),
    }


def _pack(items: list[dict[str, Any]], ids: dict[str, int]) -> dict[str, np.ndarray]:
    def concat(key, dtype):
        return np.concatenate([np.asarray(item[key], dtype) for item in items])

    def offsets(key):
        return np.concatenate([[0], np.cumsum([len(item[key]) for item in items])]).astype(np.int64)

    return {
        "phonemes": np.asarray([ids[p] for i in items for p in i["phonemes"]], np.int32),
        "phoneme_offsets": offsets("phonemes"),
        "durations": concat("durations", np.int32),
        "mel": concat("mel", np.float16),
        "f0": concat("f0", np.float32),
        "energy": concat("energy", np.float32),
        "frame_offsets": offsets("mel"),
        "audio": concat("audio", np.int16),
        "sample_offsets": offsets("audio"),
    }


def _build(
    tmp: Path, train: int, val: int, test: int, seed: int, voice: str, max_words: int
) -> dict:
    pools = split_sentences(max_words)
    need = {"train": train, "val": val, "test": test}
    chosen = {}
    for split in SPLITS:
        if need[split] > len(pools[split]):
            raise UserError(
                f"the tts {split} documents hold {len(pools[split])} sentences; ask for fewer "
                f"(data.{split}_utterances)"
            )
        chosen[split] = random.Random(f"{seed}-{split}").sample(pools[split], need[split])
    spoken = {split: [utterance(s, voice) for _, s in chosen[split]] for split in SPLITS}
    params = {"train": train, "val": val, "test": test, "seed": seed}
    params |= {"voice": voice, "max_words": max_words}
    sources = {"espeakng-loader": espeak.version(), **english_text.source_versions()}
    return write_corpus(tmp, chosen, spoken, "tts", params, sources)


def write_corpus(tmp: Path, chosen: dict, spoken: dict, corpus: str, params: dict, sources: dict):
    """Write the splits' arrays and lines into ``tmp``; the manifest. ``chosen[split]``
    is ``[(document, text)]``, ``spoken[split]`` the utterances in the same order."""
    inventory = sorted({p for item in spoken["train"] for p in item["phonemes"]} - {SILENCE})
    symbols = [PAD, UNKNOWN, SILENCE, *inventory]
    ids = {name: k for k, name in enumerate(symbols)}
    summary = {}
    for split in SPLITS:
        items = spoken[split]
        for item in items:
            item["phonemes"] = [p if p in ids else UNKNOWN for p in item["phonemes"]]
        np.savez(tmp / f"{split}.npz", **_pack(items, ids))
        rows = [
            {"text": s, "document": d, "phonemes": " ".join(i["phonemes"]), "frames": len(i["mel"])}
            for (d, s), i in zip(chosen[split], items)
        ]
        (tmp / f"{split}.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))
        durations = np.concatenate([i["durations"] for i in items])
        summary[split] = {
            "utterances": len(items),
            "hours": round(sum(len(i["audio"]) for i in items) / SAMPLE_RATE / 3600, 3),
            "documents": sorted({d for d, _ in chosen[split]}),
            "zero_frame_phonemes": round(float(np.mean(durations == 0)), 4),
        }
    f0 = np.concatenate([i["f0"] for i in spoken["train"]])
    log_f0 = np.log(f0[f0 > 0]) if np.any(f0 > 0) else np.zeros(1)
    energy = np.concatenate([i["energy"] for i in spoken["train"]])
    mel = np.concatenate([i["mel"] for i in spoken["train"]])
    train_durations = np.concatenate([i["durations"] for i in spoken["train"]])
    return {
        "corpus": corpus,
        "version": VERSION,
        "sample_rate": SAMPLE_RATE,
        "hop": HOP,
        "n_fft": N_FFT,
        "n_mels": N_MELS,
        "build_params": params,
        "sources": sources,
        "phonemes": symbols,
        "stats": {
            "log_f0_mean": float(log_f0.mean()),
            "log_f0_std": float(max(log_f0.std(), 1e-3)),
            "energy_mean": float(energy.mean()),
            "energy_std": float(energy.std()),
            "mel_mean": float(mel.mean()),
            "mel_std": float(mel.std()),
            "log_duration_mean": float(np.log1p(train_durations).mean()),
        },
        "splits": summary,
    }


@lru_cache(maxsize=8)
def _arrays(corpus_dir: str, split: str) -> dict[str, np.ndarray]:
    with np.load(Path(corpus_dir) / f"{split}.npz") as stored:
        return {key: stored[key] for key in stored.files}


def load_split(corpus_dir: Path, split: str, limit: int = 0) -> list[dict[str, Any]]:
    """The utterances of one split: text, phoneme ids, durations, mel, f0, energy, audio
    (int16), each its own array (views of the split's arrays)."""
    if split not in SPLITS:
        raise UserError(f"unknown split '{split}'; valid: {', '.join(SPLITS)}")
    arrays = _arrays(str(corpus_dir), split)
    lines = (Path(corpus_dir) / f"{split}.jsonl").read_text().splitlines()
    count = len(lines) if not limit else min(limit, len(lines))
    p, f, s = arrays["phoneme_offsets"], arrays["frame_offsets"], arrays["sample_offsets"]
    items = []
    for k in range(count):
        row = json.loads(lines[k])
        items.append(
            row
            | {
                "ids": arrays["phonemes"][p[k] : p[k + 1]],
                "durations": arrays["durations"][p[k] : p[k + 1]],
                "mel": arrays["mel"][f[k] : f[k + 1]],
                "f0": arrays["f0"][f[k] : f[k + 1]],
                "energy": arrays["energy"][f[k] : f[k + 1]],
                "audio": arrays["audio"][s[k] : s[k + 1]],
            }
        )
    return items


@lru_cache(maxsize=8)
def manifest(corpus_dir: str | Path) -> dict[str, Any]:
    """A built corpus's manifest, read once (shared: do not change it)."""
    return read_manifest(corpus_dir) | {"path": str(corpus_dir)}
