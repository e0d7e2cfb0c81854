"""Flite, the second speech engine: fetched from Debian into the data dir, each voice
speaks a known sentence (skipped, with the reason, where apt cannot deliver it)."""

import numpy as np
import pytest

from deeptasks.datasets import flite
from deeptasks.datasets.debian import DebianUnavailable
from deeptasks.errors import UserError

SENTENCE = "Hello world, this is a test."


@pytest.fixture(scope="module")
def engine():
    try:
        return flite.install()
    except DebianUnavailable as err:
        pytest.skip(f"Flite is not available here: {err}")


@pytest.mark.parametrize("voice", flite.VOICES)
def test_each_voice_speaks_a_known_sentence(engine, voice):
    samples, rate = flite.synthesize(SENTENCE, voice)
    assert rate == (8000 if voice == "kal" else 16000)
    assert samples.dtype == np.int16 and 1.5 < len(samples) / rate < 3.5  # six words
    assert np.sqrt(np.mean((samples / 32768.0) ** 2)) > 0.01  # not silent


def test_rate_pitch_and_volume_change_the_audio(engine):
    plain, _ = flite.synthesize(SENTENCE, "slt")
    slower, _ = flite.synthesize(SENTENCE, "slt", stretch=1.3)
    assert 1.2 < len(slower) / len(plain) < 1.4
    higher, _ = flite.synthesize(SENTENCE, "slt", f0_mean=260)
    assert len(higher) == len(plain) and not np.array_equal(higher, plain)
    quiet, _ = flite.synthesize(SENTENCE, "slt", gain=0.5)
    assert np.abs(quiet).max() == pytest.approx(np.abs(plain).max() / 2, abs=1)


def test_a_real_speech_recogniser_hears_a_flite_voice(engine):
    from deeptasks.tasks.speech_recognition.baselines import PocketSphinx

    samples, _ = flite.synthesize(SENTENCE, "awb")
    assert PocketSphinx().transcribe(samples) == "hello world this is a test"


def test_bad_voice_or_empty_text_is_one_clear_error():
    with pytest.raises(UserError, match="unknown Flite voice 'bob'; choose one of awb"):
        flite.synthesize(SENTENCE, "bob")
    with pytest.raises(UserError, match="the text is empty"):
        flite.synthesize("  ", "slt")
