import io
import json

import keras
import numpy as np
import pytest
import tensorflow as tf

import deeptasks
from deeptasks.cli import main
from deeptasks.common import tokenizers
from deeptasks.common.seq2seq.layers import BahdanauAttention
from deeptasks.common.tokenizers import BOS_ID, EOS_ID
from deeptasks.datasets import batching
from deeptasks.errors import UserError
from deeptasks.tasks.translation import data, inference

TASK = deeptasks.get_task("translation")


def _cfg(*overrides):
    return TASK.config("smoke", list(overrides))


def test_tokenizer_is_shared_trained_on_train_and_round_trips():
    cfg = _cfg()
    tokenizer = data.tokenizer(cfg)
    assert tokenizer.vocabulary_size() == cfg.model.vocabulary_size
    assert tokenizer.id_to_token(BOS_ID) == "<s>" and tokenizer.id_to_token(EOS_ID) == "</s>"
    proto = data.proto(cfg)
    sentences = [s for pair in data.pairs(cfg, "train")[:5] for s in pair]
    ids = tokenizers.encode(proto, sentences)
    assert ids == [list(row) for row in tokenizer(sentences)]  # keras-hub layer agrees
    assert tokenizers.decode(proto, ids) == [" ".join(s.split()) for s in sentences]
    assert max(len(row) for row in ids) < max(len(s) for s in sentences)  # subwords
    # every character of the training text has a piece: rare ones ('7', 'Ä', '*' in the
    # DDTP corpus) were <unk> under SentencePiece's default coverage, and so uncopyable
    every = [s for pair in data.pairs(cfg, "train") for s in pair]
    assert not any(tokenizers.UNK_ID in row for row in tokenizers.encode(proto, every))


def test_tokenizer_keeps_characters_seen_once_and_keras_hub_ids():
    words = "the quick brown fox jumps over the lazy dog while a wizard boxes".split()
    text = [" ".join(words[i:] + words[:i]) for i in range(len(words))] * 20
    proto = tokenizers.train_sentencepiece([*text, "one rare sign: §"], 45)
    assert tokenizers.UNK_ID not in tokenizers.encode(proto, ["§ dog"])[0]
    assert tokenizers.decode(proto, tokenizers.encode(proto, ["§ dog"])) == ["§ dog"]
    layer = tokenizers.sentencepiece_tokenizer(proto)
    pieces = [layer.id_to_token(i) for i in range(4)]
    assert pieces == ["<pad>", "<unk>", "<s>", "</s>"]


def test_subword_sampling_gives_each_training_copy_new_segmentations_of_the_same_text():
    cfg = _cfg("data.subword_alpha=0.5", "data.subword_copies=3")
    sources, targets = zip(*data.pairs(cfg, "train"))
    src_ids, tgt_ids = data._segmented(cfg, "train", sources, targets)
    n, proto = len(sources), data.proto(cfg)
    plain, plain_targets = tokenizers.encode(proto, sources), tokenizers.encode(proto, targets)
    assert len(src_ids) == len(tgt_ids) == 3 * n
    assert tokenizers.decode(proto, src_ids) == tokenizers.decode(proto, plain) * 3
    assert tokenizers.decode(proto, tgt_ids[n : 2 * n]) == tokenizers.decode(proto, plain_targets)
    copies = [src_ids[k * n : (k + 1) * n] for k in range(3)]
    assert copies[0] != copies[1] != copies[2]  # each pass over the data segments anew
    assert data._segmented(cfg, "train", sources, targets) == (src_ids, tgt_ids)  # seeded
    assert sum(map(len, src_ids[:n])) > sum(map(len, plain))  # samples beyond the best
    assert data._segmented(cfg, "val", sources, targets)[0] == plain  # val never samples


def test_training_batches_hold_pairs_of_like_length():
    assert batching.bucket_boundaries(40) == [9, 13, 17, 25, 33]
    cfg = _cfg("train.batch_size=4")
    bounds = [0, *batching.bucket_boundaries(cfg.data.max_tokens), 10**6]
    seen = set()
    for inputs, target_out, weights in data.build_dataset(cfg, "train").take(40):
        lengths = np.maximum(
            np.sum(inputs["source"].numpy() != 0, 1), np.sum(inputs["target_in"].numpy() != 0, 1)
        )
        assert len(lengths) == 4 and lengths.max() <= cfg.data.max_tokens
        buckets = {np.searchsorted(bounds, n, side="right") for n in lengths}
        assert len(buckets) == 1  # one bucket per batch, padded to its own longest pair
        assert inputs["source"].shape[1] == np.sum(inputs["source"].numpy() != 0, 1).max()
        np.testing.assert_array_equal(weights.numpy(), target_out.numpy() != 0)
        seen |= buckets
    assert len(seen) > 1


def test_attention_weights_sum_to_one_and_skip_padding():
    attention = BahdanauAttention(8)
    values = keras.random.normal((3, 5, 6), seed=1)
    mask = np.array([[1, 1, 1, 1, 1], [1, 1, 0, 0, 0], [1, 0, 0, 0, 0]], bool)
    context, weights = attention(keras.random.normal((3, 4), seed=2), values, mask=mask)
    weights = np.asarray(weights)
    np.testing.assert_allclose(weights.sum(-1), 1.0, atol=1e-6)
    assert np.all(weights[~mask] < 1e-6) and weights[2, 0] == pytest.approx(1.0)
    expected = (weights[..., None] * np.asarray(values)).sum(1)
    np.testing.assert_allclose(np.asarray(context), expected, atol=1e-5)


MODEL_VARIANTS = [
    ["model.name=gru_attention"],
    ["model.name=transformer"],
    ["model.name=transformer", "model.tie_embeddings=true"],
]


@pytest.mark.parametrize("variant", MODEL_VARIANTS)
def test_decoding_steps_match_the_training_forward_pass(variant):
    cfg = _cfg(*variant, "model.dropout=0")
    model = TASK.build_model(cfg)
    source = tf.constant([[5, 9, 14, 7, EOS_ID], [8, 6, EOS_ID, 0, 0]])
    target_in = tf.constant([[BOS_ID, 11, 12, 13], [BOS_ID, 15, 16, 17]])
    full = tf.nn.log_softmax(model({"source": source, "target_in": target_in}))
    state = model.decode_state(source, 4)
    buffer = tf.concat([target_in, tf.zeros([2, 1], tf.int32)], 1)
    for index in range(4):
        log_probs, state = model.decode_step(buffer, tf.constant(index), state)
        np.testing.assert_allclose(log_probs, full[:, index], atol=1e-4)


@pytest.mark.parametrize("variant", MODEL_VARIANTS)
def test_models_save_load_safe_mode_and_translate_the_same(variant, tmp_path):
    cfg = _cfg(*variant)
    model = TASK.build_model(cfg)
    model.save(tmp_path / "m.keras")
    loaded = keras.saving.load_model(tmp_path / "m.keras", safe_mode=True)
    sentences = ["It is a small tool.", "", "This package contains the documentation."]
    first = inference.translate(model, cfg, sentences)
    assert inference.translate(loaded, cfg, sentences) == first
    assert first[1] == "" and len(first) == 3
    assert loaded.tokenizer.vocabulary_size() == cfg.model.vocabulary_size


def test_tied_embeddings_are_one_table_for_both_languages_and_the_logits():
    tied = TASK.build_model(_cfg("model.name=transformer", "model.tie_embeddings=true"))
    untied = TASK.build_model(_cfg("model.name=transformer"))
    m = _cfg().model
    # untied: two more vocabulary x width tables, and the output layer's bias
    extra = 2 * m.vocabulary_size * m.embedding_dim + m.vocabulary_size
    assert untied.count_params() - tied.count_params() == extra
    table = tied.token_embedding.embeddings
    assert sum(w is table for w in tied.trainable_weights) == 1
    # the untied model keeps the variable order of runs saved before tying existed (their
    # optimizer state is restored by position): the output layer's weights come last
    assert untied.trainable_weights[-2] is untied.output_projection.kernel


def test_tsv_source_splits_by_source_hash(tmp_path):
    lines = [f"sentence number {i} here\tSatz Nummer {i} hier" for i in range(400)]
    (tmp_path / "pairs.tsv").write_text("\n".join(lines) + "\n\n")
    cfg = _cfg("data.source=tsv", f"data.tsv_path={tmp_path / 'pairs.tsv'}", "data.test_pairs=0")
    splits = {s: data.pairs(cfg, s) for s in ("train", "val", "test")}
    assert sum(len(v) for v in splits.values()) == 400
    assert 0 < len(splits["test"]) < 50 and 0 < len(splits["val"]) < 50
    assert not {p[0] for p in splits["train"]} & {p[0] for p in splits["test"]}


@pytest.mark.parametrize(
    "overrides, message",
    [
        (["data.source_lang=de", "data.target_lang=fr"], "ddtp pairs English"),
        (["data.source=tsv", "data.tsv_path=/nonexistent.tsv"], "needs data.tsv_path"),
        (["data.source=wmt14"], "needs data.tfds_config"),
        (["model.num_heads=3"], "multiple of model.num_heads"),
        (["data.subword_alpha=-0.1"], "subword_alpha must be >= 0"),
    ],
)
def test_bad_configs_are_refused(overrides, message):
    with pytest.raises(UserError, match=message):
        _cfg(*overrides)


def test_bad_tsv_line_is_one_clear_line(tmp_path, error_line):
    (tmp_path / "bad.tsv").write_text("good one here\tgut hier\nno tab on this line\n")
    args = ["data", "translation", "--preset", "smoke", "--set", "data.source=tsv"]
    assert main([*args, "--set", f"data.tsv_path={tmp_path / 'bad.tsv'}"]) == 2
    assert "bad.tsv:2: expected 'source<TAB>target'" in error_line()


@pytest.fixture(scope="module")
def cli_run(train_smoke):
    return train_smoke("translation")


def test_cli_run_reports_bleu_chrf_beside_copying_the_source(cli_run, capsys):
    metrics = json.loads((cli_run / "metrics.json").read_text())
    test = metrics["test"]
    assert set(test["model"]) == set(test["baseline"]) == set(test["greedy"]) == {"bleu", "chrf"}
    assert test["baseline_name"] == "copy_source" and test["sentences"] == 8
    assert 0 < test["baseline"]["chrf"] < 100 and test["beam_sentences_per_second"] > 0
    assert metrics["data"]["splits"]["train"] > 1000
    assert (cli_run / "tokenizer.model").stat().st_size > 1000
    rows = (cli_run / "samples" / "translations.tsv").read_text().splitlines()
    assert rows[0] == "source\treference\ttranslation" and len(rows) == 9
    capsys.readouterr()
    assert main(["evaluate", "--workdir", str(cli_run)]) == 0
    assert "bleu" in capsys.readouterr().out


def test_cli_predict_keeps_line_order_and_empty_lines(cli_run, tmp_path, capsys, monkeypatch):
    (tmp_path / "in.txt").write_text("It is a small tool.\n\nThis package contains data.\n")
    capsys.readouterr()
    assert main(["predict", "--workdir", str(cli_run), str(tmp_path / "in.txt")]) == 0
    printed = capsys.readouterr().out.split("\n")
    assert len(printed) == 4 and printed[1] == "" and printed[0] and printed[3] == ""
    monkeypatch.setattr("sys.stdin", io.StringIO("It is a small tool.\n"))
    out = tmp_path / "out.txt"
    assert main(["predict", "--workdir", str(cli_run), "-", "-o", str(out)]) == 0
    assert out.read_text() == printed[0] + "\n"
    assert main(["predict", "--workdir", str(cli_run), "-", "-o", str(out)]) == 2  # exists


def test_cli_predict_missing_input_is_one_line(cli_run, tmp_path, error_line):
    assert main(["predict", "--workdir", str(cli_run), str(tmp_path / "none.txt")]) == 2
    assert "input not found" in error_line()


def test_tokenizer_vocabulary_too_small_or_too_large_is_one_clear_line():
    text = ["the quick brown fox jumps over the lazy dog"] * 20
    with pytest.raises(UserError, match="at least 31"):
        tokenizers.train_sentencepiece(text, 20)
    with pytest.raises(UserError, match="at most"):
        tokenizers.train_sentencepiece(text, 500)
