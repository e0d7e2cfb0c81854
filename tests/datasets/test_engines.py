"""Flite and Festival, the speech engines beside eSpeak NG: fetched from Debian into the
data dir, each voice speaks a known sentence (skipped, with the reason, where apt cannot
deliver an engine)."""

import numpy as np
import pytest

from deeptasks.datasets import engines
from deeptasks.datasets.debian import DebianUnavailable
from deeptasks.errors import UserError

SENTENCE = 'Hello world, this is a "test".'
RATES = {"kal": 8000, "cmu_us_slt_arctic_hts": 32000}


def _engine(name):
    try:
        return engines.install(name)
    except DebianUnavailable as err:
        pytest.skip(f"{name} is not available here: {err}")


@pytest.mark.parametrize(
    "engine, voice", [(e, v) for e, voices in engines.VOICES.items() for v in voices]
)
def test_each_voice_speaks_a_known_sentence(engine, voice):
    _engine(engine)
    samples, rate = engines.synthesize(engine, SENTENCE, voice)
    assert rate == RATES.get(voice, 16000)
    assert samples.dtype == np.int16 and 1.5 < len(samples) / rate < 3.5  # six words
    assert np.sqrt(np.mean((samples / 32768.0) ** 2)) > 0.01  # not silent


@pytest.mark.parametrize("engine, voice", [("flite", "slt"), ("festival", "kal_diphone")])
def test_rate_pitch_and_volume_change_the_audio(engine, voice):
    _engine(engine)
    plain, _ = engines.synthesize(engine, SENTENCE, voice)
    slower, _ = engines.synthesize(engine, SENTENCE, voice, stretch=1.3)
    assert 1.15 < len(slower) / len(plain) < 1.45
    higher, _ = engines.synthesize(engine, SENTENCE, voice, f0_mean=200)
    assert not np.array_equal(higher, plain)
    quiet, _ = engines.synthesize(engine, SENTENCE, voice, gain=0.5)
    assert np.abs(quiet).max() == pytest.approx(np.abs(plain).max() / 2, abs=1)


def test_a_real_speech_recogniser_hears_a_flite_voice():
    from deeptasks.tasks.speech_recognition.baselines import PocketSphinx

    _engine("flite")
    samples, _ = engines.synthesize("flite", SENTENCE, "awb")
    assert PocketSphinx().transcribe(samples) == "hello world this is a test"


def test_bad_engine_voice_or_empty_text_is_one_clear_error():
    with pytest.raises(UserError, match="unknown speech engine 'mbrola'; choose one of flite"):
        engines.synthesize("mbrola", SENTENCE, "x")
    with pytest.raises(UserError, match="unknown flite voice 'bob'; choose one of awb"):
        engines.synthesize("flite", SENTENCE, "bob")
    with pytest.raises(UserError, match="the text is empty"):
        engines.synthesize("festival", "  ", "kal_diphone")
