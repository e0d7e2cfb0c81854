"""The ``speech`` corpus: English sentences spoken by eSpeak NG voices, 16 kHz mono WAV.

Built once into ``<data dir>/speech-<params>/`` (atomically; a second run reuses it)::

    manifest.json            build parameters, package versions, counts, hours, voices
    train.jsonl val.jsonl test.jsonl   one utterance per line: file, text, voice, accent,
                             variant, rate, pitch, seconds (test also: file_snr20, group)
    train/ val/ test/ test_snr20/      the WAV files

Splits prove generalisation: every split has its own sentences (no normalised sentence
is in two splits) and validation and test are spoken by voice *variants* that training
never hears. Half of the test split uses the training accents (group ``seen_accent``),
half uses accents training never hears (group ``unseen_accent``). The test split also
exists with white noise mixed in at 20 dB SNR (fixed seed), ``test_snr20/``.

Accent augmentation (``accent_mix`` > 0): that share of the training utterances is spoken
in *synthetic* accents, each a training accent's eSpeak voice file plus a few systematic
sound changes drawn at random (``replace`` rules: a vowel becomes a neighbouring vowel, and
sometimes a consonant a neighbouring sound: th-stopping, h-dropping, final devoicing ...).
They only use the training accents' phoneme tables, so the unseen accents stay unheard.
"""

from __future__ import annotations

import json
import random
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np

from deeptasks.common.audio import SAMPLE_RATE, mix_at_snr, read_wav_int16, to_mono_16k, wav_bytes
from deeptasks.datasets import engines, english_text, espeak, speech_engines
from deeptasks.datasets.cache import build_once, read_manifest
from deeptasks.datasets.speech_engines import FLITE_VOICES, HELD_OUT_ENGINE  # noqa: F401
from deeptasks.errors import UserError

VERSION = 1
SPLITS = ("train", "val", "test")
# eSpeak NG English accents (language names) heard in training, and those only tested.
SEEN_ACCENTS = ("en-us", "en", "en-gb-scotland", "en-gb-x-rp", "en-gb-x-gbclan")
UNSEEN_ACCENTS = ("en-029", "en-us-nyc", "en-gb-x-gbcwmd")
# Voice variants (speaker timbres): each split has its own, so val/test voices are new.
VARIANTS = {
    "train": ("", "m1", "m2", "m4", "m6", "m7", "f1", "f4", "f5", "klatt", "klatt3", "klatt4")
    + ("croak", "whisper"),
    "val": ("m8", "f3", "klatt5"),
    "test": ("m3", "m5", "f2", "klatt2", "klatt6"),
}
RATE_WPM = (140, 210)
PITCH = (25, 75)
TEST_SNR_DB = 20.0
SYNTHETIC_ACCENTS = 48  # how many synthetic accents accent augmentation draws from
# Sound changes of the synthetic accents, as eSpeak NG English phoneme mnemonics: each
# vowel with the vowels next to it in the vowel space (or the diphthong's parts) ...
VOWEL_SHIFTS = {
    "i:": ("I", "i", "eI"),
    "I": ("i:", "E", "@"),
    "E": ("I", "a", "eI"),
    "a": ("E", "aa", "A:"),
    "A:": ("a", "0", "aa"),
    "0": ("O:", "A:", "V"),
    "O:": ("0", "oU", "O@"),
    "V": ("@", "0", "U", "a"),
    "U": ("u:", "V", "@"),
    "u:": ("U", "oU"),
    "3:": ("@", "E", "V"),
    "@": ("V", "I", "a#"),
    "eI": ("E", "i:", "aI"),
    "aI": ("a", "A:", "OI", "eI"),
    "oU": ("O:", "u:", "0", "aU"),
    "aU": ("a", "oU", "A:"),
    "e@": ("E", "eI"),
    "A@": ("A:", "a"),
    "O@": ("O:", "o@"),
    "U@": ("u:", "O:"),
}
# ... and consonant changes common across English accents, with their eSpeak ``replace``
# flags (1: only word-final).
CONSONANT_SHIFTS = (
    ("T", ("t", "f", "s"), 0),
    ("D", ("d", "v", "z"), 0),
    ("h", ("NULL",), 0),
    ("N", ("n",), 0),
    ("w", ("v",), 0),
    ("v", ("w", "b"), 0),
    ("S", ("s",), 0),
    ("tS", ("S",), 0),
    ("z", ("s",), 1),
    ("d", ("t",), 1),
    ("t", ("?",), 1),
)
# Keep this much of eSpeak's leading/trailing silence (s); the rest is trimmed.
EDGE_SILENCE = 0.05
SILENCE_LEVEL = 100  # int16 amplitude


def corpus_name(
    train: int,
    val: int,
    test: int,
    seed: int,
    max_words: int,
    accent_mix: float = 0.0,
    engine_mix: float = 0.0,
    engine_test: int = 0,
) -> str:
    mix = f"-a{round(100 * accent_mix)}" if accent_mix else ""
    if engine_mix or engine_test:
        mix += f"-e{round(100 * engine_mix)}-t{engine_test}"
    return f"speech-v{VERSION}-{train}-{val}-{test}-w{max_words}-s{seed}{mix}"


def _share(name: str, value: float) -> None:
    if not 0.0 <= value <= 1.0 or abs(100 * value - round(100 * value)) > 1e-6:
        raise UserError(
            f"data.{name} is a share of utterances in [0, 1] in whole percent (the "
            f"corpus folder is named by it), e.g. 0.5; got {value}"
        )


def build(
    train: int = 3000,
    val: int = 200,
    test: int = 400,
    seed: int = 0,
    max_words: int = 10,
    accent_mix: float = 0.0,
    engine_mix: float = 0.0,
    engine_test: int = 0,
) -> Path:
    """The corpus folder for these sizes, built first if it is not in the data dir;
    ``accent_mix`` of the training utterances use synthetic accents, ``engine_mix`` of the
    training and validation utterances are spoken by Flite's training voices, and the
    first ``engine_test`` test sentences are spoken again by Flite and by the held-out
    engine, Festival."""
    if min(train, val, test) < 1:
        raise UserError(f"speech corpus splits need >= 1 utterance each; got {train}/{val}/{test}")
    _share("accent_mix", accent_mix)
    _share("engine_mix", engine_mix)
    if not 0 <= engine_test <= test:
        raise UserError(
            f"data.engine_test must be in [0, test_utterances={test}]; got {engine_test}"
        )
    name = corpus_name(train, val, test, seed, max_words, accent_mix, engine_mix, engine_test)
    params = (train, val, test, seed, max_words, accent_mix, engine_mix, engine_test)
    return build_once(name, lambda tmp: _build(tmp, *params))


def synthetic_accents(seed: int) -> dict[str, dict[str, Any]]:
    """``SYNTHETIC_ACCENTS`` accents drawn with ``seed``, by name: the training accent each
    starts from (``base``) and its ``replace`` rules ``(flags, phoneme, replacement)``:
    2-5 vowel shifts, on every syllable or only unstressed ones, and 0-2 consonant shifts."""
    draw = random.Random(f"{seed}-accents")
    accents = {}
    for index in range(SYNTHETIC_ACCENTS):
        rules = [
            (draw.choice((0, 0, 2)), vowel, draw.choice(VOWEL_SHIFTS[vowel]))
            for vowel in draw.sample(sorted(VOWEL_SHIFTS), draw.randint(2, 5))
        ]
        for sound, shifts, flags in draw.sample(CONSONANT_SHIFTS, draw.randint(0, 2)):
            rules.append((flags, sound, draw.choice(shifts)))
        base = draw.choice(SEEN_ACCENTS)
        accents[f"en-x-synth{index:02d}"] = {"base": base, "rules": rules}
    return accents


def accent_voice_file(name: str, accent: dict[str, Any]) -> str:
    """The eSpeak NG voice file of a synthetic accent: its base accent's file without the
    language lines that would let it answer for the base accent, plus its rules."""
    kept = [
        line
        for line in espeak.language_file(accent["base"]).splitlines()
        if not line.startswith(("name", "language"))
    ]
    rules = [f"replace {flags:02d} {sound} {new}" for flags, sound, new in accent["rules"]]
    return "\n".join([f"name {name}", f"language {name}", *kept, *rules]) + "\n"


def voice_plan(split: str, count: int, seed: int, accent_mix: float = 0.0) -> list[dict[str, Any]]:
    """``count`` voices of one split: accent, variant, rate and pitch drawn with ``seed``.
    Test cycles seen and unseen accents so that the two groups are the same size; with
    ``accent_mix`` that share of the training voices speak a synthetic accent."""
    draw = random.Random(f"{seed}-{split}")
    mixing = random.Random(f"{seed}-{split}-mix")  # apart, so mix 0 keeps the v1 voices
    synthetic = sorted(synthetic_accents(seed)) if split == "train" and accent_mix else []
    plan = []
    for index in range(count):
        if split == "test":
            unseen = index % 2 == 1
            accent = draw.choice(UNSEEN_ACCENTS if unseen else SEEN_ACCENTS)
            group = "unseen_accent" if unseen else "seen_accent"
        else:
            accent, group = draw.choice(SEEN_ACCENTS), "seen_accent"
        variant = draw.choice(VARIANTS[split])
        voice = {"rate": draw.randint(*RATE_WPM), "pitch": draw.randint(*PITCH)}
        if synthetic and mixing.random() < accent_mix:
            accent = mixing.choice(synthetic)
        plan.append(
            {
                "voice": accent + (f"+{variant}" if variant else ""),
                "accent": accent,
                "variant": variant or "default",
                "group": group,
                **voice,
            }
        )
    return plan


def trim_silence(samples: np.ndarray, rate: int) -> np.ndarray:
    loud = np.flatnonzero(np.abs(samples) > SILENCE_LEVEL)
    if not len(loud):
        return samples
    keep = int(EDGE_SILENCE * rate)
    return samples[max(loud[0] - keep, 0) : loud[-1] + keep]


def speak(text: str, voice: dict[str, Any], seed: int) -> np.ndarray:
    """One utterance as 16 kHz mono float32, by eSpeak NG or the voice's ``engine``."""
    engine = voice.get("engine", "espeak")
    if engine == "espeak":
        samples, rate = espeak.synthesize(text, voice["voice"], voice["rate"], voice["pitch"], seed)
    else:
        samples, rate = engines.synthesize(
            engine, text, voice["voice"], voice["stretch"], voice["f0_mean"], voice["gain"]
        )
    return to_mono_16k(trim_silence(samples, rate), rate)


def _build(
    tmp: Path,
    train: int,
    val: int,
    test: int,
    seed: int,
    max_words: int,
    accent_mix: float,
    engine_mix: float = 0.0,
    engine_test: int = 0,
) -> dict:
    available, missing = speech_engines.available(bool(engine_mix or engine_test))
    accents = synthetic_accents(seed) if accent_mix else {}
    for name, accent in accents.items():
        espeak.add_voice(name, accent_voice_file(name, accent))
    pool = english_text.sentences(max_words=max_words)
    random.Random(seed).shuffle(pool)
    need = {"test": test, "val": val, "train": train}
    if sum(need.values()) > len(pool):
        raise UserError(f"the text sources have {len(pool)} sentences; ask for fewer utterances")
    texts, start = {}, 0
    for split in ("test", "val", "train"):  # test first: its sentences never change with size
        texts[split] = pool[start : start + need[split]]
        start += need[split]
    noise = np.random.default_rng(seed + 20)
    summary: dict[str, Any] = {}
    for split in SPLITS:
        (tmp / split).mkdir()
        if split == "test":
            (tmp / "test_snr20").mkdir()
        rows, seconds = [], 0.0
        plan = voice_plan(split, need[split], seed, accent_mix)
        if split != "test" and "flite" in available:  # a share spoken by Flite instead
            flite = speech_engines.engine_plan(split, need[split], seed, engine_mix)
            plan = [other or voice for voice, other in zip(plan, flite)]
        sentences = list(texts[split])
        if split == "test":  # the first engine_test sentences again, by the other engines
            extra = speech_engines.engine_test_plan(engine_test, seed, available)
            sentences += [texts["test"][voice.pop("sentence")] for voice in extra]
            plan += extra
        for index, (text, voice) in enumerate(zip(sentences, plan)):
            audio = speak(text, voice, seed * 100003 + index)
            row = {"file": f"{split}/{index:06d}.wav", "text": text}
            row |= {"engine": "espeak"} | voice if engine_mix or engine_test else voice
            row["seconds"] = round(len(audio) / SAMPLE_RATE, 3)
            (tmp / row["file"]).write_bytes(wav_bytes(audio))
            if split == "test":
                noisy = mix_at_snr(audio, noise.standard_normal(len(audio)), TEST_SNR_DB)
                row["file_snr20"] = f"test_snr20/{index:06d}.wav"
                (tmp / row["file_snr20"]).write_bytes(wav_bytes(noisy / max(1.0, _peak(noisy))))
            rows.append(row)
            seconds += row["seconds"]
        (tmp / f"{split}.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))
        summary[split] = {
            "utterances": len(rows),
            "hours": round(seconds / 3600, 3),
            "voices": sorted({r["voice"] for r in rows}),
            "accents": sorted({r["accent"] for r in rows}),
            "variants": sorted({r["variant"] for r in rows}),
        }
        if engine_mix or engine_test:
            summary[split]["engines"] = {
                engine: sum(r["engine"] == engine for r in rows)
                for engine in sorted({r["engine"] for r in rows})
            }
    return {
        "corpus": "speech",
        "version": VERSION,
        "sample_rate": SAMPLE_RATE,
        "build_params": {"train": train, "val": val, "test": test, "seed": seed}
        | {"max_words": max_words, "rate_wpm": RATE_WPM, "pitch": PITCH, "test_snr_db": 20.0}
        | {"accent_mix": accent_mix},
        "synthetic_accents": accents,
        "engines": {
            "available": sorted(available),
            "missing": missing,
            "held_out": HELD_OUT_ENGINE if engine_test else "",
            "versions": speech_engines.versions(available),
            "engine_mix": engine_mix,
            "engine_test": engine_test,
        },
        "sources": {"espeakng-loader": espeak.version(), **english_text.source_versions()},
        "sentence_pool": len(pool),
        "splits": summary,
    }


def _peak(samples: np.ndarray) -> float:
    return float(np.max(np.abs(samples))) if len(samples) else 0.0


@lru_cache(maxsize=8)
def _rows(corpus_dir: str, split: str) -> tuple[dict, ...]:
    lines = (Path(corpus_dir) / f"{split}.jsonl").read_text().splitlines()
    return tuple(json.loads(line) for line in lines)


def load_rows(corpus_dir: Path, split: str) -> list[dict]:
    """The metadata rows (file, text, voice ...) of one split of a built corpus."""
    if split not in SPLITS:
        raise UserError(f"unknown split '{split}'; valid: {', '.join(SPLITS)}")
    return list(_rows(str(corpus_dir), split))


def load_split(
    corpus_dir: Path, split: str, noisy: bool = False, limit: int = 0
) -> tuple[list[np.ndarray], list[str], list[dict]]:
    """``(int16 sample arrays, transcripts, metadata rows)`` of one split of a built corpus;
    ``noisy`` gives the 20 dB SNR version of the test split."""
    rows = load_rows(corpus_dir, split)[: limit or None]
    key = "file_snr20" if noisy else "file"
    if noisy and split != "test":
        raise UserError("only the test split has a 20 dB SNR version")
    audio = [read_wav_int16(Path(corpus_dir) / row[key]) for row in rows]
    return audio, [row["text"] for row in rows], rows


def summary(corpus_dir: Path) -> dict[str, Any]:
    """The manifest's counts, voices per split, hours and build parameters."""
    manifest = read_manifest(corpus_dir)
    manifest["path"] = str(corpus_dir)
    return manifest


def folder_split(folder: str | Path, split: str) -> tuple[list[np.ndarray], list[str], list[dict]]:
    """A user's split: ``<folder>/<split>/`` holds audio files with same-stem ``.txt``
    transcripts, or a ``transcripts.csv`` with columns ``path,text`` (paths relative to
    it). Any sample rate and channel count; returned as 16 kHz mono int16."""
    import csv

    from deeptasks.common.audio import AUDIO_SUFFIXES, read_audio

    root = Path(folder) / split
    if not root.is_dir():
        raise UserError(f"no {split}/ folder in {folder}; it needs train/, val/ and test/")
    table = root / "transcripts.csv"
    if table.is_file():
        with open(table, newline="", encoding="utf-8") as handle:
            reader = csv.DictReader(handle)
            if not {"path", "text"} <= set(reader.fieldnames or ()):
                raise UserError(f"{table} needs a header with columns path,text")
            pairs = [(root / row["path"], row["text"]) for row in reader]
    else:
        pairs = []
        for path in sorted(p for p in root.iterdir() if p.suffix.lower() in AUDIO_SUFFIXES):
            transcript = path.with_suffix(".txt")
            if not transcript.is_file():
                raise UserError(f"{path} has no transcript {transcript.name} beside it")
            pairs.append((path, transcript.read_text(encoding="utf-8").strip()))
    if not pairs:
        raise UserError(f"{root} has no audio files (WAV, FLAC, OGG ...) or transcripts.csv")
    audio = [to_int16(read_audio(path)) for path, _ in pairs]
    rows = [{"file": str(path), "text": text, "group": "all"} for path, text in pairs]
    return audio, [text for _, text in pairs], rows


def to_int16(samples: np.ndarray) -> np.ndarray:
    return np.clip(np.round(np.asarray(samples) * 32767.0), -32768, 32767).astype(np.int16)
