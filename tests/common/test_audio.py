import numpy as np
import pytest

from deeptasks.common.audio import mix_at_snr, read_audio, resample, write_wav
from deeptasks.errors import UserError


def test_read_audio_any_rate_and_channels(tmp_path):
    import soundfile

    stereo = np.random.default_rng(0).uniform(-0.5, 0.5, (22050, 2)).astype(np.float32)
    soundfile.write(tmp_path / "x.flac", stereo, 22050)
    mono = read_audio(tmp_path / "x.flac")
    assert mono.dtype == np.float32 and mono.shape == (16000,)
    write_wav(tmp_path / "y.wav", np.full(8000, 0.25, np.float32))
    assert read_audio(tmp_path / "y.wav").shape == (8000,)


@pytest.mark.parametrize(
    "name, content, message",
    [
        ("empty.wav", None, "holds no audio samples"),
        ("silent.wav", np.zeros(16000, np.float32), "is silent"),
        ("junk.wav", b"this is not audio", "is not readable audio"),
        ("missing.wav", "absent", "not found"),
    ],
)
def test_bad_audio_is_one_clear_error(tmp_path, name, content, message):
    path = tmp_path / name
    if isinstance(content, np.ndarray):
        write_wav(path, content)
    elif content is None:
        write_wav(path, np.zeros(0, np.float32))
    elif isinstance(content, bytes):
        path.write_bytes(content)
    with pytest.raises(UserError, match=message) as info:
        read_audio(path)
    assert "\n" not in str(info.value) and name in str(info.value)


def test_resample_and_snr_mixing():
    tone = np.sin(2 * np.pi * 440 * np.arange(44100) / 44100.0)
    down = resample(tone, 44100)
    assert len(down) == 16000
    peak = np.argmax(np.abs(np.fft.rfft(down)))
    assert abs(peak - 440) <= 1  # one-second signal: bin k is k Hz
    noise = np.random.default_rng(1).standard_normal(16000)
    mixed = mix_at_snr(down, noise, 20.0)
    snr = 10 * np.log10(np.mean(down**2) / np.mean((mixed - down) ** 2))
    assert snr == pytest.approx(20.0, abs=1e-3)
