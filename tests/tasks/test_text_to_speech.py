"""Text-to-speech: eSpeak NG's phoneme events and durations, the length regulator, the
losses, Griffin-Lim, the speech-quality metrics, the corpus splits, and the CLI."""

import json
import wave

import keras
import numpy as np
import pytest

from deeptasks.cli import main
from deeptasks.common.metrics import speech_quality
from deeptasks.datasets import english_text, espeak, tts, tts_recorded
from deeptasks.errors import UserError
from deeptasks.tasks.text_to_speech import config, data, inference, models
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


def test_adversarial_stage_starts_from_a_vocoder_run_trains_both_parts_and_reloads(tmp_path):
    cfg = config.smoke()
    cfg.model.name = "vocoder"
    stats = {"mel_mean": -5.0, "mel_std": 2.0}
    first = models.vocoder(cfg.model, **stats)
    run = tmp_path / "stft-run"
    run.mkdir()
    first.save(str(run / "model.keras"))
    (run / "config.json").write_text(json.dumps(cfg.to_dict()))

    cfg.model.adversarial_weight, cfg.model.vocoder_init = 4.0, str(run)
    model = models.vocoder(cfg.model, **stats)
    models.compile_model(model, cfg)
    for mine, theirs in zip(model.generator.weights, first.weights):  # not re-initialised
        np.testing.assert_array_equal(mine.numpy(), theirs.numpy())
    before = [w.numpy().copy() for w in (*model.generator.weights, *model.discriminator.weights)]
    rng = np.random.default_rng(0)
    mel = rng.normal(-5.0, 2.0, (4, 8, tts.N_MELS)).astype(np.float32)
    wave = rng.uniform(-0.5, 0.5, (4, 8 * tts.HOP)).astype(np.float32)
    logs = model.fit(mel, wave, batch_size=4, epochs=1, verbose=0).history
    assert {"loss", "stft", "adversarial", "feature_matching", "discriminator"} <= set(logs)
    changed = [
        not np.array_equal(old, new.numpy())
        for old, new in zip(before, (*model.generator.weights, *model.discriminator.weights))
    ]
    parts = len(model.generator.weights)
    assert any(changed[:parts]) and any(changed[parts:])  # generator and discriminator

    model.save(str(tmp_path / "gan.keras"))
    loaded = keras.saving.load_model(str(tmp_path / "gan.keras"), safe_mode=True)
    np.testing.assert_allclose(loaded(mel[:1]), model(mel[:1]), atol=1e-5)
    assert model(mel[:1]).shape == (1, 8 * tts.HOP)

    cfg.model.vocoder_init = str(tmp_path)  # not a run: one clear error
    with pytest.raises(UserError, match="model.vocoder_init=.* is not a run folder"):
        models.vocoder(cfg.model, **stats)


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


LINES = (
    "The cat sat on the mat.",
    "A stitch in time saves nine.",
    "Where the bee sucks, there suck I.",
    "All the world is a stage.",
    "Now is the winter of our discontent.",
    "Brevity is the soul of wit.",
)


def _recordings(folder, layout: str):
    """eSpeak's Scottish female voice at 16 kHz with 0.3 s of leading silence: "someone else's"
    recordings, in the pair layout or LJSpeech's."""
    from deeptasks.common.audio import resample, write_wav

    folder.mkdir()
    if layout == "ljspeech":
        (folder / "wavs").mkdir()
        rows = [f"LJ{k:03d}|{line.upper()}|{line}" for k, line in enumerate(LINES)]
        (folder / "metadata.csv").write_text("\n".join(rows) + "\n")
    for k, line in enumerate(LINES):
        samples, rate, _ = espeak.synthesize_phonemes(line, "en-gb-scotland+f3")
        audio = np.concatenate([np.zeros(int(0.3 * rate)), samples / 32768.0])
        name = f"LJ{k:03d}" if layout == "ljspeech" else f"line{k}"
        where = folder / "wavs" if layout == "ljspeech" else folder
        write_wav(where / f"{name}.wav", resample(audio, rate, 16000), 16000)
        if layout == "pairs":
            (folder / f"{name}.txt").write_text(line + "\n")
    return folder


@pytest.mark.parametrize("layout", ["pairs", "ljspeech"])
def test_folder_source_gives_durations_that_sum_to_its_recordings(tmp_path, layout):
    cfg = config.smoke()
    cfg.data.source, cfg.data.folder = "folder", str(_recordings(tmp_path / "rec", layout))
    cfg.data.train_utterances, cfg.data.val_utterances, cfg.data.test_utterances = 4, 1, 1
    items = [i for split in tts.SPLITS for i in data.utterances(cfg, split)]
    assert sorted(i["text"] for i in items) == sorted(LINES)  # the normalised text column
    names = data.manifest(cfg)["phonemes"]
    for item in items:
        assert int(item["durations"].sum()) == len(item["mel"]) == len(item["f0"])
        assert len(item["audio"]) == len(item["mel"]) * tts.HOP  # resampled to 22,050 Hz
        phonemes = [names[k] for k in item["ids"]]
        spoken = [p if p in names else tts.UNKNOWN for p in espeak.text_to_phonemes(item["text"])]
        assert phonemes == [tts.SILENCE, *spoken]  # held-out lines may hold unseen phonemes
        # 0.3 s of leading silence is ~26 frames of <sil>, found by the speech span
        assert 20 <= item["durations"][0] <= 32


def test_recorded_durations_follow_the_rule():
    text = "Brevity is the soul of wit."
    samples, rate, events = espeak.synthesize_phonemes(text, "en-us")
    audio = np.concatenate([np.zeros(8000), samples / 32768.0, np.zeros(8000)])
    stretched = tts_recorded.recorded_utterance(audio, text, "en-us", "espeak")["durations"]
    uniform = tts_recorded.recorded_utterance(audio, text, "en-us", "uniform")["durations"]
    own = tts.utterance(text, "en-us")["durations"]
    assert stretched.sum() == uniform.sum() == -(-len(audio) // tts.HOP)
    # the same voice: eSpeak's own timing is recovered (shifted by the added silence)
    assert np.abs(stretched[1:-1] - own[1:-1]).mean() < 0.5
    assert np.abs(uniform[1:-1] - own[1:-1]).mean() > 1.0
    with pytest.raises(UserError, match="unknown data.durations 'mfa'"):
        tts_recorded.recorded_utterance(audio, text, "en-us", "mfa")


@pytest.mark.parametrize(
    "setup, message",
    [
        (lambda root: None, "is not a folder"),
        (lambda root: root.mkdir(), "holds no recordings with transcripts"),
        (
            lambda root: (root.mkdir(), (root / "metadata.csv").write_text("LJ1|Hello there.\n")),
            "names LJ1, but wavs/LJ1.wav is missing",
        ),
    ],
)
def test_folder_source_bad_input_is_one_line(tmp_path, error_line, setup, message):
    root = tmp_path / "rec"
    setup(root)
    args = ["data", "text_to_speech", "--set", "data.source=folder"]
    assert main([*args, "--set", f"data.folder={root}"]) == 2
    assert message in error_line()


def test_ljspeech_adapter_reads_tfds_fields(tmp_path):
    import tensorflow_datasets as tfds

    from deeptasks.datasets import tfds as adapters

    with tfds.testing.mock_data(num_examples=3):  # tfds's own fake examples of ljspeech
        found = adapters.ljspeech_recordings(str(tmp_path))
    assert len(found) == 3
    name, samples, text = found[0]
    assert isinstance(name, str) and isinstance(text, str) and samples.dtype == np.float32
    assert np.abs(samples).max() <= 1.0


@pytest.mark.slow  # tfds retries the download for about 3 minutes before it gives up
def test_ljspeech_offline_is_one_line(tmp_path):
    from deeptasks.datasets import tfds as adapters

    with pytest.raises(UserError, match="ljspeech is not available through tfds"):
        adapters.ljspeech_recordings(str(tmp_path))
