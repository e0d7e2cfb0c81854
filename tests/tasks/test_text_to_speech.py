"""Text-to-speech: eSpeak NG's phoneme events and durations, the length regulator, the
losses, Griffin-Lim, the speech-quality metrics, the corpus splits, and the CLI."""

import json
import wave

import keras
import numpy as np
import pytest

from deeptasks.cli import main
from deeptasks.common.metrics import speech_quality
from deeptasks.datasets import english_text, espeak, tts
from deeptasks.tasks.text_to_speech import config, data, inference
from deeptasks.tasks.text_to_speech.layers import LengthRegulator, MaskedError

SENTENCE = "Hello world, this is a test."


def test_phoneme_events_give_durations_that_sum_to_the_mel_and_match_text_to_phonemes():
    spoken = tts.utterance(SENTENCE, "en-us")
    assert spoken["phonemes"][0] == tts.SILENCE
    assert spoken["phonemes"][1:] == espeak.text_to_phonemes(SENTENCE)
    assert spoken["phonemes"][1:5] == ["h", "@", "l", "'oU"]
    assert int(spoken["durations"].sum()) == len(spoken["mel"]) == len(spoken["f0"])
    assert len(spoken["audio"]) == len(spoken["mel"]) * tts.HOP
    assert spoken["mel"].shape[1] == tts.N_MELS and (spoken["f0"] > 0).mean() > 0.3


def test_durations_known_answer_with_zero_frame_phonemes():
    # starts at samples 0, 100, 300, 310 in 5 frames of 256: frames 0, 0, 1, 1
    assert tts.durations_of([0, 100, 300, 310], 5).tolist() == [0, 0, 1, 0, 4]
    assert tts.durations_of([2000, 100], 4).tolist() == [4, 0, 0]  # never backwards


def test_length_regulator_known_answers():
    hidden = np.array([[[1.0], [2.0], [3.0]], [[4.0], [5.0], [0.0]]], np.float32)
    durations = np.array([[2, 0, 1], [1, 1, 0]], np.int32)
    frames, mask = LengthRegulator()(hidden, durations)
    frames, mask = np.asarray(frames), np.asarray(mask)
    assert frames.shape == (2, 3, 2)
    assert frames[0, :, 0].tolist() == [1.0, 1.0, 3.0]  # the 0-frame phoneme adds nothing
    assert frames[0, :, 1].tolist() == [0.0, 0.5, 0.0]  # how far into its phoneme
    assert frames[1, :, 0].tolist() == [4.0, 5.0, 0.0] and mask.tolist()[1] == [1, 1, 0]


def test_masked_error_skips_padding():
    y_true = np.array([[1.0, 2.0, -100.0]], np.float32)
    y_pred = np.array([[2.0, 4.0, 50.0]], np.float32)
    assert float(MaskedError("l1")(y_true, y_pred)) == pytest.approx(1.5)
    assert float(MaskedError("l2")(y_true, y_pred)) == pytest.approx(2.5)


def test_griffin_lim_of_a_known_mel_is_close_to_its_source():
    audio = tts.utterance(SENTENCE, "en-us")["audio"].astype(np.float32) / 32768.0
    mel = tts.log_mel(audio)
    rebuilt = inference.griffin_lim(mel, 32)
    assert len(rebuilt) == len(audio)
    linear, again = np.exp(mel), np.exp(tts.log_mel(rebuilt))
    convergence = np.linalg.norm(linear - again) / np.linalg.norm(linear)
    assert convergence < 0.25
    assert speech_quality.stoi(audio, rebuilt, tts.SAMPLE_RATE) > 0.8


def test_metrics_known_answers():
    audio = tts.utterance(SENTENCE, "en-us")["audio"].astype(np.float32) / 32768.0
    same = speech_quality.compare(audio, audio, tts.SAMPLE_RATE)
    assert same == {"mcd": 0.0, "f0_rmse": 0.0, "vuv_error": 0.0}
    assert speech_quality.stoi(audio, audio, tts.SAMPLE_RATE) == pytest.approx(1.0)
    noisy = audio + 0.05 * np.random.default_rng(0).standard_normal(len(audio))
    assert speech_quality.compare(audio, noisy, tts.SAMPLE_RATE)["mcd"] > 1.0
    rows, cols = speech_quality.dtw_path(np.array([[0, 0, 5], [5, 5, 0.0]]))
    assert rows.tolist() == [0, 0, 1] and cols.tolist() == [0, 1, 2]


def test_corpus_splits_by_document_and_no_test_sentence_is_in_training():
    cfg = config.smoke()
    found = data.manifest(cfg)["splits"]
    assert not set(found["train"]["documents"]) & set(found["test"]["documents"])
    assert not set(found["train"]["documents"]) & set(found["val"]["documents"])
    pools = tts.split_sentences(cfg.data.max_words)
    train = {english_text.normalise(s) for _, s in pools["train"]}
    assert not train & {english_text.normalise(s) for _, s in pools["test"]}
    item = data.utterances(cfg, "test", 1)[0]
    assert int(item["durations"].sum()) == len(item["mel"])


def test_unknown_phonemes_and_characters():
    cfg = config.smoke()
    ids = inference.phoneme_ids(cfg, SENTENCE)
    assert ids[0] == data.manifest(cfg)["phonemes"].index(tts.SILENCE) and len(ids) > 10
    with pytest.raises(Exception, match="cannot speak the characters '€'"):
        inference.phoneme_ids(cfg, "It costs 5€.")


def _wav(path):
    with wave.open(str(path)) as handle:
        rate, frames = handle.getframerate(), handle.readframes(handle.getnframes())
    return rate, np.frombuffer(frames, "<i2").astype(np.float32) / 32768.0


def test_cli_train_evaluate_predict_writes_audible_wavs(train_smoke, tmp_path, capsys):
    run = train_smoke("text_to_speech")
    metrics = json.loads((run / "metrics.json").read_text())["test"]
    assert {"mcd", "f0_rmse", "stoi", "duration_mae", "rtf"} <= set(metrics["model"])
    assert "true_mel_griffin_lim" in metrics["baselines"]
    lines = tmp_path / "lines.txt"
    lines.write_text("The quick brown fox jumps over the lazy dog.\n\nA second line.\n")
    out = tmp_path / "out"
    assert (
        main(["predict", "--workdir", str(run), str(lines), "-o", str(out), "--speed", "1.5"]) == 0
    )
    assert "skipped 1 empty line" in capsys.readouterr().err
    rate, audio = _wav(out / "0001.wav")
    assert rate == tts.SAMPLE_RATE and np.sqrt(np.mean(audio**2)) > 1e-3
    assert 0.2 < len(audio) / rate < 20.0 and (out / "0002.wav").is_file()
    # never over its own output without --force
    assert main(["predict", "--workdir", str(run), str(lines), "-o", str(out)]) == 2


@pytest.mark.parametrize(
    "text, args, message",
    [
        ("Price: 5€\n", [], "cannot speak the characters '€'"),
        ("\n\n", [], "no text to speak"),
        ("hello there\n", ["--speed", "0"], "--speed must be > 0"),
        ("hello there\n", ["--pitch", "2"], "needs a model that predicts pitch"),
    ],
)
def test_cli_predict_bad_input_is_one_line(train_smoke, tmp_path, error_line, text, args, message):
    run = train_smoke("text_to_speech")
    lines = tmp_path / "in.txt"
    lines.write_text(text)
    out = tmp_path / "out"
    assert main(["predict", "--workdir", str(run), str(lines), "-o", str(out), *args]) == 2
    assert message in error_line() and not out.exists()


@pytest.mark.slow
def test_vocoder_run_is_a_model_an_acoustic_run_speaks_through(tmp_path, capsys):
    vocoder = tmp_path / "vocoder"
    assert (
        main(
            [
                "train",
                "text_to_speech",
                "--preset",
                "smoke",
                "--model",
                "vocoder",
                "--workdir",
                str(vocoder),
            ]
        )
        == 0
    )
    loaded = keras.saving.load_model(str(vocoder / "model.keras"), safe_mode=True)
    assert loaded.predict_on_batch(np.zeros((1, 8, 80), np.float32)).shape == (1, 8 * tts.HOP)
    acoustic = tmp_path / "acoustic"
    assert (
        main(
            [
                "train",
                "text_to_speech",
                "--preset",
                "smoke",
                "--model",
                "fastspeech2",
                "--set",
                f"model.vocoder_workdir={vocoder}",
                "--workdir",
                str(acoustic),
            ]
        )
        == 0
    )
    metrics = json.loads((acoustic / "metrics.json").read_text())["test"]
    assert "true_mel_vocoder" in metrics["baselines"] and metrics["vocoder"] == str(vocoder)
    # the same mels through Griffin-Lim as well: one row per vocoder, each with its RTF
    through_gl = metrics["baselines"]["model_griffin_lim"]
    assert through_gl["rtf"] > 0 and through_gl["mcd"] != metrics["model"]["mcd"]
    assert metrics["sentences"] == 4
    assert (acoustic / "samples" / "model_vocoder.wav").is_file()
