"""Room and microphone augmentation ops of speech recognition: known answers."""

import numpy as np
import pytest
import tensorflow as tf

import deeptasks
from deeptasks.errors import UserError
from deeptasks.tasks.speech_recognition import augment, data

RATE = augment.SAMPLE_RATE
TASK = deeptasks.get_task("speech_recognition")


def _tone(hz: float, seconds: float = 1.0) -> np.ndarray:
    return (0.3 * np.sin(2 * np.pi * hz * np.arange(int(seconds * RATE)) / RATE)).astype("float32")


def _peak_hz(audio) -> float:
    spectrum = np.abs(np.fft.rfft(np.asarray(audio)))
    return float(np.argmax(spectrum) * RATE / len(audio))


def test_a_unit_tap_leaves_the_signal_unchanged_and_a_room_smears_it():
    audio = np.random.default_rng(0).normal(0, 0.1, RATE).astype("float32")
    same = augment.reverberate(audio, tf.constant([1.0]))
    np.testing.assert_allclose(same, audio, atol=1e-5)
    impulse = augment.room_impulse(tf.constant([1, 2]), tf.constant(0.5), tf.constant(0.0))
    assert impulse.shape == (RATE // 2,) and float(impulse[0]) == 1.0
    tail = np.asarray(impulse[1:]) ** 2
    assert tail.sum() == pytest.approx(1.0, rel=1e-3)  # 0 dB direct-to-reverberant
    assert tail[: RATE // 10].sum() > 10 * tail[-RATE // 10 :].sum()  # it decays
    click = np.zeros(RATE, "float32")
    click[100] = 1.0
    wet = np.asarray(augment.reverberate(click, impulse))
    assert np.abs(wet[2000:]).max() > 1e-3 and len(wet) == RATE  # the room rings on
    assert np.sqrt(np.mean(wet**2)) == pytest.approx(np.sqrt(np.mean(click**2)), rel=1e-3)


def test_band_limiting_removes_energy_outside_the_band():
    audio = _tone(200) + _tone(1000) + _tone(6000)
    limited = np.abs(np.fft.rfft(np.asarray(augment.band_limit(audio, 300.0, 3400.0))))
    hz = np.fft.rfftfreq(RATE, 1 / RATE)
    assert limited[hz > 3400].max() < 1e-3 and limited[hz < 300].max() < 1e-3
    assert limited[hz == 1000][0] == pytest.approx(0.15 * RATE, rel=1e-3)  # kept as it was


def test_vtlp_moves_a_tone_by_alpha_and_alpha_one_changes_nothing():
    tone = _tone(1000)
    same = np.asarray(augment.vtlp(tone, tf.constant(1.0)))
    np.testing.assert_allclose(same[600:-600], tone[600:-600], atol=5e-3)  # 0.3 peak
    assert _peak_hz(augment.vtlp(tone, tf.constant(1.1))) == pytest.approx(1100, abs=20)
    assert _peak_hz(augment.vtlp(tone, tf.constant(0.9))) == pytest.approx(900, abs=20)
    high = _tone(7000)  # above the knee the warp meets Nyquist: a smaller move
    assert 7000 < _peak_hz(augment.vtlp(high, tf.constant(1.1))) < 7300


def test_the_pipeline_applies_them_by_probability_and_checks_ranges():
    audio = _tone(1000) + _tone(5000)
    seed = tf.constant([3, 4], tf.int64)
    off = TASK.config("smoke")
    assert np.array_equal(augment.apply(off, audio, seed), audio)  # all off by default
    on = TASK.config(
        "smoke",
        ["data.vtlp_probability=1", "data.reverb_probability=1", "data.band_limit_probability=1"],
    )
    changed = np.asarray(augment.apply(on, audio, seed))
    assert changed.shape == audio.shape and not np.allclose(changed, audio, atol=1e-2)
    assert np.array_equal(changed, augment.apply(on, audio, seed))  # seeded
    with pytest.raises(UserError, match="data.reverb_probability must be in"):
        data.check(TASK.config("smoke", ["data.reverb_probability=2"]))
    with pytest.raises(UserError, match="data.band_low_hz and data.band_high_hz"):
        data.check(TASK.config("smoke", ["data.band_high_hz=100,200"]))
