import math

import numpy as np
import pytest

import deeptasks
from deeptasks.cli import main
from deeptasks.common.decoding.char_lm import END
from deeptasks.datasets import english
from deeptasks.errors import UserError
from deeptasks.tasks.language_model import data, evaluation, inference

TASK = deeptasks.get_task("language_model")


def _cfg(*overrides):
    return TASK.config("smoke", list(overrides))


def test_no_document_is_in_two_splits_and_the_split_is_fixed_by_name():
    splits = english.split_documents(("shakespeare",), "", 3, 3)
    names = {split: {name for name, _ in items} for split, items in splits.items()}
    assert len(names["test"]) == 3 and len(names["val"]) == 3 and len(names["train"]) == 32
    assert not (names["train"] & names["test"] or names["train"] & names["val"])
    assert not names["val"] & names["test"]
    again = english.split_documents(("shakespeare",), "", 3, 4)  # one more test play
    assert names["test"] <= {name for name, _ in again["test"]}


def test_user_files_are_split_by_file(tmp_path):
    for k in range(6):
        (tmp_path / f"doc{k}.txt").write_text(f"Document number {k}.\nIts second line.\n")
    splits = english.split_documents(("files",), str(tmp_path), 1, 1)
    assert [len(splits[s]) for s in ("train", "val", "test")] == [4, 1, 1]
    with pytest.raises(UserError, match="folder of .txt files"):
        english.split_documents(("files",), str(tmp_path / "none"), 1, 1)
    few = tmp_path / "few"
    few.mkdir()
    (few / "one.txt").write_text("Only one.\n")
    with pytest.raises(UserError, match="at least 3"):
        english.split_documents(("files",), str(few), 1, 1)


def test_debian_descriptions_are_split_by_package_family_as_the_ddtp_corpora_split():
    from deeptasks.datasets import ddtp

    splits = english.split_documents(("ddtp_sample",), "", 3, 3)
    names = {split: {name for name, _ in items} for split, items in splits.items()}
    assert all(names[split] for split in names)
    assert not (names["train"] & names["test"] or names["train"] & names["val"])
    for split, found in names.items():  # the translation pairs' split of the same family
        assert {ddtp.split_of(name.removeprefix("ddtp/")) for name in found} == {split}
    text = dict(splits["train"])["ddtp/0ad"]
    assert "Real-time strategy game of ancient warfare" in text  # 0ad and 0ad-data's


def test_lm1b_comes_through_tfds_with_its_own_test_split(monkeypatch):
    import tensorflow_datasets as tfds

    with tfds.testing.mock_data(num_examples=40):
        splits = english.split_documents(("lm1b",), "", 3, 3, "", 20)
    assert [name for name, _ in splits["test"]] == ["lm1b/test"]
    assert len(dict(splits["train"])["lm1b/train"].split("\n")) == 20
    assert len(dict(splits["val"])["lm1b/val"].split("\n")) == 2


@pytest.mark.parametrize("length,stride", [(4, 0), (4, 4), (4, 2), (5, 1), (20, 10)])
def test_scoring_windows_predict_every_token_but_the_first_once(length, stride):
    ids = np.arange(1, 12)
    inputs, targets, weights = data.scoring_windows(ids, length, stride)
    scored = targets[weights > 0]
    assert scored.tolist() == ids[1:].tolist()
    assert (inputs[:, 1:] == targets[:, :-1]).all()
    # after the first window, a scored token has at least length - stride tokens before it
    context = length - (stride or length)
    assert not weights[1:, :context].any()


def test_a_stride_longer_than_the_window_is_refused():
    with pytest.raises(UserError, match="stride"):
        data.scoring_windows(np.arange(10), 4, 5)
    with pytest.raises(UserError, match="data.score_stride"):
        data.check(_cfg("data.score_stride=64"))


def test_bits_per_char_is_the_models_loss_exactly():
    """A model that gives every token of a 5-id vocabulary probability 1/5 spends
    log2(5) bits on each; each character is one token, so bits/char = log2(5)."""

    class Uniform:
        def predict_on_batch(self, inputs):
            return np.zeros((*inputs["token_ids"].shape, 5), np.float32)

    ids = np.array([1, 2, 3, 4, 0, 2, 3, 1])
    nats = inference.stream_nats(Uniform(), ids, 3)
    assert nats == pytest.approx(7 * math.log(5))
    scores = inference.text_scores(nats, "x" * len(ids), len(ids))
    assert scores["bits_per_char"] == pytest.approx(math.log2(5))
    assert scores["perplexity"] == pytest.approx(5.0)


def test_ngram_probabilities_sum_to_one_over_the_alphabet():
    lm = evaluation.ngram(_cfg(), 3)
    for history in ("", "th", "ROM", "zq"):
        total = sum(lm.prob(history, c) for c in lm.alphabet + END)
        assert total == pytest.approx(1.0, abs=1e-9)


def test_character_tokenizer_round_trips_and_marks_unknown_characters():
    tok = data.CharacterTokenizer("ab\n")
    assert tok.encode("ba\nc") == [3, 2, 4, data.UNK]
    assert tok.decode(tok.encode("ab\nba")) == "ab\nba"
    assert tok.unknown("abcz") == "cz"


def test_piece_tokenizer_round_trips_lines_and_names_characters_it_has_no_piece_for():
    from deeptasks.common import tokenizers

    lines = [f"To be, or not to be: that is the question {k}." for k in range(200)]
    with pytest.raises(UserError, match="set data.vocabulary_size to at most"):
        tokenizers.train_sentencepiece(lines, 500, setting="data.vocabulary_size")
    tok = data.PieceTokenizer(tokenizers.train_sentencepiece(lines, 40))
    text = "To be, or not\nthat is the question 7."
    ids = tok.encode(text)
    assert ids.count(data.NEWLINE_PIECE) == 1 and tok.decode(ids) == text
    assert tok.unknown("To be, or not\nZebra ß") == "Zß"  # not in the lines
    prompt, more = tok.encode("\nTo be, or not"), tok.encode(" to be")
    assert tok.decode(more) == "to be"  # a line's first piece loses its space...
    assert inference.continuation_text(tok, prompt, more) == " to be"  # ...not after a prompt


@pytest.fixture(scope="module")
def gpt():
    cfg = _cfg("model.name=gpt")
    model = TASK.build_model(cfg)
    model.fit(data.build_dataset(cfg, "train"), epochs=1, steps_per_epoch=3, verbose=0)
    return model, cfg


def test_cached_generation_equals_uncached_for_greedy(gpt):
    model, cfg = gpt
    cached = inference.generate(model, cfg, "To be", "greedy", max_length=40, cached=True)
    uncached = inference.generate(model, cfg, "To be", "greedy", max_length=40, cached=False)
    assert len(cached) == 40 and cached == uncached


@pytest.mark.parametrize("sampler", ["top_k", "top_p"])
def test_the_same_seed_gives_the_same_text(gpt, sampler):
    model, cfg = gpt
    first, second, other = (
        inference.generate(model, cfg, "KING. ", sampler, 1.5, 30, seed) for seed in (3, 3, 4)
    )
    assert first == second and first != other


def test_cli_predict_continues_prompts_in_order_and_scores_files(train_smoke, tmp_path, capsys):
    run = train_smoke("language_model")
    capsys.readouterr()  # the training run's own output, when this test trained it
    prompts = tmp_path / "prompts.txt"
    prompts.write_text("ROMEO. \nTo be\n")
    argv = ["predict", "--workdir", str(run), str(prompts), "--max-length", "12"]
    assert main([*argv, "--sampler", "greedy"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert [line[: len(p)] for line, p in zip(lines, ("ROMEO. ", "To be"))] == ["ROMEO. ", "To be"]
    assert len(lines) == 2
    text = tmp_path / "text.txt"
    text.write_text("Now is the winter of our discontent.\n")
    out = tmp_path / "scores.json"
    assert main(["predict", "--workdir", str(run), "--score", str(text), "-o", str(out)]) == 0
    printed = capsys.readouterr().out
    assert "bits/char" in printed and out.is_file()


@pytest.mark.parametrize(
    "extra, message",
    [(["--sampler", "nucleus"], "unknown sampler"), (["--temperature", "0"], "must be > 0")],
)
def test_cli_bad_generation_options_are_one_line(train_smoke, tmp_path, error_line, extra, message):
    run = train_smoke("language_model")
    prompts = tmp_path / "p.txt"
    prompts.write_text("Hi\n")
    assert main(["predict", "--workdir", str(run), str(prompts), *extra]) == 2
    assert message in error_line()


def test_non_utf8_input_is_one_line(train_smoke, tmp_path, error_line):
    bad = tmp_path / "latin1.txt"
    bad.write_bytes("caf\xe9".encode("latin-1"))
    assert main(["predict", "--workdir", str(train_smoke("language_model")), str(bad)]) == 2
    assert "not UTF-8" in error_line()


def _tiny_gpt2_preset(folder):
    """A 1-layer GPT-2 with a byte-level BPE of the 256 bytes and four merges, saved with
    ``save_to_preset`` as a hub preset would be (offline: nothing is downloaded)."""
    import keras_hub
    from keras_hub.src.tokenizers.byte_pair_tokenizer import bytes_to_unicode

    merges = ["t h", "Ġ t", "Ġt h", "e r"]
    vocabulary = {"<|endoftext|>": 0}
    for piece in [*bytes_to_unicode()[1], *(m.replace(" ", "") for m in merges)]:
        vocabulary[piece] = len(vocabulary)
    tokenizer = keras_hub.models.GPT2Tokenizer(vocabulary=vocabulary, merges=merges)
    backbone = keras_hub.models.GPT2Backbone(
        vocabulary_size=len(vocabulary),
        num_layers=1,
        num_heads=2,
        hidden_dim=16,
        intermediate_dim=32,
        max_sequence_length=64,
    )
    preprocessor = keras_hub.models.GPT2CausalLMPreprocessor(tokenizer, sequence_length=32)
    lm = keras_hub.models.GPT2CausalLM(backbone=backbone, preprocessor=preprocessor)
    lm.save_to_preset(str(folder))
    return lm


def test_a_gpt2_preset_is_fine_tuned_from_its_own_weights_offline(tmp_path, capsys):
    import keras

    saved = _tiny_gpt2_preset(tmp_path / "preset")
    docs = tmp_path / "docs"
    docs.mkdir()
    for k in range(6):
        (docs / f"d{k}.txt").write_text(f"Document {k} speaks.\nThe other line, the {k}th.\n")
    run = tmp_path / "run"
    argv = ["train", "language_model", "--preset", "smoke", "--model", "gpt"]
    argv += ["--set", f"model.preset={tmp_path / 'preset'}", "--set", "data.sources=files"]
    argv += ["--set", f"data.folder={docs}", "--set", "data.val_documents=1"]
    argv += ["--set", "data.test_documents=1", "--set", "train.learning_rate=1e-4"]
    assert main([*argv, "--workdir", str(run)]) == 0
    capsys.readouterr()
    tuned = keras.saving.load_model(run / "model.keras", safe_mode=True)
    before = keras.ops.convert_to_numpy(saved.backbone.token_embedding.embeddings).ravel()
    after = keras.ops.convert_to_numpy(tuned.backbone.token_embedding.embeddings).ravel()
    # trained (the weights moved) from the preset's weights, not from a fresh start
    assert np.abs(after - before).max() > 0
    assert np.corrcoef(before, after)[0, 1] > 0.99
    # its tokenizer is the preset's byte-level BPE: text outside the plays still encodes
    cfg = TASK.config("smoke", [f"model.preset={tmp_path / 'preset'}", "model.name=gpt"])
    assert data.tokenizer(cfg).size == 261
    assert data.tokenizer(cfg).decode(data.tokenizer(cfg).encode("café\nthe")) == "café\nthe"
    assert main(["predict", "--workdir", str(run), "--score", str(docs / "d0.txt")]) == 0
    assert "bits/char" in capsys.readouterr().out


def test_a_missing_preset_folder_is_one_line(tmp_path, error_line):
    argv = ["train", "language_model", "--preset", "smoke", "--model", "gpt", "--set"]
    assert main([*argv, f"model.preset={tmp_path / 'none'}", "--workdir", str(tmp_path)]) == 2
    assert "preset folder not found" in error_line()
