"""The speech corpus's voices of other engines than eSpeak NG (see
:mod:`deeptasks.datasets.engines`): which Flite voice speaks which training or validation
utterance, which test sentences Flite and the held-out engine speak again, and with what
rate, pitch and volume; and which engines this machine can deliver."""

from __future__ import annotations

import random

from deeptasks.datasets import engines
from deeptasks.datasets.debian import DebianUnavailable

# Other engines (datasets/engines.py). Flite's rms is held out of training (validation
# and test hear it); Festival, the held-out engine, is heard only in test: its HTS voice
# and its residual-LPC diphones are synthesis methods training never hears, and ked is a
# speaker no training voice has (its slt and kal speakers are Flite's slt and kal16).
FLITE_VOICES = {
    "train": ("awb", "slt", "kal16"),
    "val": ("rms",),
    "test": ("awb", "rms", "slt", "kal16"),
}
FESTIVAL_VOICES = ("cmu_us_slt_arctic_hts", "kal_diphone", "ked_diphone")
HELD_OUT_ENGINE = "festival"
ENGINE_F0 = {"awb": 125.0, "rms": 101.0, "slt": 166.0, "kal16": 90.0, "kal_diphone": 103.0}
ENGINE_F0 |= {"ked_diphone": 104.0}  # each voice's median F0 (pyworld), times ENGINE_PITCH
ENGINE_ACCENTS = {"awb": "en-gb-scotland"}
ENGINE_STRETCH = (0.85, 1.2)
ENGINE_PITCH = (0.85, 1.2)
ENGINE_GAIN = (0.4, 1.0)


def engine_plan(split: str, count: int, seed: int, engine_mix: float) -> list[dict | None]:
    """Per utterance of a training or validation split, the Flite voice that speaks it
    (a share ``engine_mix``) or None (eSpeak's, as ``speech.voice_plan`` planned)."""
    draw = random.Random(f"{seed}-{split}-engines")
    plan: list[dict | None] = []
    for _ in range(count):
        if draw.random() >= engine_mix:
            plan.append(None)
            continue
        plan.append(_engine_voice("flite", draw.choice(FLITE_VOICES[split]), draw))
    return plan


def _engine_voice(engine: str, name: str, draw: random.Random) -> dict:
    """A Flite or Festival voice with its rate, pitch and volume drawn from ``draw``."""
    if engine == HELD_OUT_ENGINE:
        group = "held_out_engine"
    else:
        group = "flite_seen_voice" if name in FLITE_VOICES["train"] else "flite_unseen_voice"
    stretch = round(draw.uniform(*ENGINE_STRETCH), 3)
    f0 = round(ENGINE_F0.get(name, 0.0) * draw.uniform(*ENGINE_PITCH), 1)
    return {
        "engine": engine,
        "voice": name,
        "accent": ENGINE_ACCENTS.get(name, "en-us"),
        "variant": f"{engine}-{name}",
        "group": group,
        "stretch": stretch,
        "f0_mean": f0,
        "gain": round(draw.uniform(*ENGINE_GAIN), 3),
    }


def engine_test_plan(count: int, seed: int, available: set[str]) -> list[dict]:
    """The extra test utterances: the first ``count`` test sentences spoken by Flite
    (every voice, held-out ``rms`` included) and by the held-out engine, where available."""
    draw = random.Random(f"{seed}-test-engines")
    plan = []
    for engine, voices in (("flite", FLITE_VOICES["test"]), (HELD_OUT_ENGINE, FESTIVAL_VOICES)):
        if engine not in available:
            continue
        for index in range(count):
            plan.append(
                {"sentence": index} | _engine_voice(engine, voices[index % len(voices)], draw)
            )
    return plan


def versions(available: set[str]) -> dict[str, str]:
    """The Debian versions of the engines in ``available`` beside eSpeak."""
    return {engine: engines.version(engine) for engine in sorted(available - {"espeak"})}


def available(wanted: bool) -> tuple[set[str], dict[str, str]]:
    """The engines beside eSpeak that apt can deliver here, and why the others are not."""
    found, missing = {"espeak"}, {}
    for engine in ("flite", HELD_OUT_ENGINE) if wanted else ():
        try:
            engines.install(engine)
            found.add(engine)
        except DebianUnavailable as err:
            missing[engine] = str(err)
    return found, missing
