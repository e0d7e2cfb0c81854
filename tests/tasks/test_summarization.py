import io
import json

import keras
import numpy as np
import pytest
import tensorflow as tf
from kit import tiny_bart

import deeptasks
from deeptasks.cli import main
from deeptasks.common.tokenizers import BOS_ID, EOS_ID
from deeptasks.errors import UserError
from deeptasks.tasks.summarization import baselines, data, inference
from deeptasks.tasks.summarization.layers import CopyTransformer, copy_distribution

TASK = deeptasks.get_task("summarization")
MODEL_VARIANTS = [
    ["model.name=copy_transformer"],
    ["model.name=transformer"],
    ["model.name=gru_attention"],
]


def _cfg(*overrides):
    return TASK.config("smoke", list(overrides))


def test_copy_distribution_puts_each_weight_on_its_source_token():
    attention = np.array([[[0.5, 0.2, 0.3, 0.0], [0.0, 0.0, 1.0, 0.0]]], "float32")
    source = np.array([[7, 4, 7, 0]])
    found = np.asarray(copy_distribution(attention, source, 9))
    expected = np.zeros((1, 2, 9))
    expected[0, 0, 7], expected[0, 0, 4] = 0.8, 0.2  # token 7 twice: both weights
    expected[0, 1, 7] = 1.0
    np.testing.assert_allclose(found, expected, atol=1e-6)


def _copy_model(**kwargs) -> CopyTransformer:
    model = CopyTransformer(30, 16, 1, 2, 32, 0.0, **kwargs)
    model(model.dummy_inputs())
    return model


def test_copy_mixture_sums_to_one_and_without_generation_copies_the_attended_token():
    model = _copy_model()
    inputs = {"source": tf.constant([[11, 12, 13, EOS_ID, 0]]), "target_in": tf.constant([[2, 5]])}
    np.testing.assert_allclose(np.exp(np.asarray(model(inputs))).sum(-1), 1.0, atol=1e-4)
    # p_gen = 0: the gate's bias far below zero
    model.generate_gate.kernel.assign(np.zeros(model.generate_gate.kernel.shape))
    model.generate_gate.bias.assign([-40.0])
    memory, mask = model.encode(inputs["source"])
    hidden, embedded = model.decode_all(memory, mask, inputs["target_in"])
    log_probs, p_gen, attention = model._copy(
        hidden, embedded, memory, model.copy_key(memory), inputs["source"], mask
    )
    assert np.asarray(p_gen).max() < 1e-12
    attention = np.asarray(attention)
    assert attention[0, :, 4].max() == 0  # padding is never attended
    attended = np.asarray(inputs["source"])[0, attention[0].argmax(-1)]
    np.testing.assert_array_equal(np.asarray(log_probs)[0].argmax(-1), attended)
    probs = np.exp(np.asarray(log_probs))[0]
    assert probs[:, [11, 12, 13, EOS_ID]].sum(-1) == pytest.approx([1, 1], abs=1e-5)
    _, copied = model(inputs, return_copy=True)
    np.testing.assert_allclose(copied, 1.0)


def test_coverage_loss_is_added_in_training_only():
    model = _copy_model(coverage_weight=2.0)
    inputs = {"source": tf.constant([[11, 12, EOS_ID]]), "target_in": tf.constant([[2, 5, 6]])}
    model(inputs, training=False)
    assert not model.losses
    model(inputs, training=True)
    assert len(model.losses) == 1 and 0 < float(model.losses[0]) <= 2.0 * 1.0


@pytest.mark.parametrize("variant", MODEL_VARIANTS)
def test_decoding_steps_match_the_training_forward_pass(variant):
    model = TASK.build_model(_cfg(*variant, "model.dropout=0"))
    source = tf.constant([[5, 9, 14, 7, EOS_ID], [8, 6, EOS_ID, 0, 0]])
    target_in = tf.constant([[BOS_ID, 11, 12, 13], [BOS_ID, 15, 16, 17]])
    full = tf.nn.log_softmax(model({"source": source, "target_in": target_in}))
    state = model.decode_state(source, 4)
    buffer = tf.concat([target_in, tf.zeros([2, 1], tf.int32)], 1)
    for index in range(4):
        log_probs, state = model.decode_step(buffer, tf.constant(index), state)
        np.testing.assert_allclose(log_probs, full[:, index], atol=1e-4)


def test_copy_model_saves_loads_safe_mode_and_summarizes_the_same(tmp_path):
    cfg = _cfg()
    model = TASK.build_model(cfg)
    model.save(tmp_path / "m.keras")
    loaded = keras.saving.load_model(tmp_path / "m.keras", safe_mode=True)
    documents = ["fooctl manages foo servers. It starts them.", "", "A library for bar."]
    first = inference.summarize(model, cfg, documents)
    assert inference.summarize(loaded, cfg, documents) == first
    assert first[1] == "" and len(first) == 3


def test_baselines_known_answers():
    document = "Foo is a tool, e.g. for bar. It is fast!\nfirst item\nSecond line here."
    assert baselines.sentences(document) == [
        "Foo is a tool, e.g. for bar.",
        "It is fast!",
        "first item",
        "Second line here.",
    ]
    assert baselines.lead_1(document) == "Foo is a tool, e.g. for bar."
    assert baselines.first_k(document, 3) == "Foo is a"
    assert baselines.lexrank(document) in baselines.sentences(document)
    assert baselines.lexrank("One sentence only") == "One sentence only"
    k, scored = baselines.pick_k(["alpha beta gamma delta " * 5], ["alpha beta gamma"])
    assert k == 3 and scored[3] == 100.0 and scored[4] < 100.0


def test_tsv_source_splits_by_document_hash(tmp_path):
    lines = [f"document number {i} says\\nmore here\tsummary {i}" for i in range(400)]
    (tmp_path / "pairs.tsv").write_text("\n".join(lines) + "\n\n")
    cfg = _cfg("data.source=tsv", f"data.tsv_path={tmp_path / 'pairs.tsv'}", "data.test_pairs=0")
    splits = {s: data.pairs(cfg, s) for s in ("train", "val", "test")}
    assert sum(len(v) for v in splits.values()) == 400
    assert 0 < len(splits["test"]) < 50 and 0 < len(splits["val"]) < 50
    assert "\n" in splits["train"][0]["document"]
    assert not {r["document"] for r in splits["train"]} & {r["document"] for r in splits["test"]}


@pytest.mark.parametrize(
    "overrides, message",
    [
        (["data.source=tsv", "data.tsv_path=/nonexistent.tsv"], "needs data.tsv_path"),
        (["model.num_heads=3"], "multiple of model.num_heads"),
        (["model.no_repeat_ngram=1"], "no_repeat_ngram must be 0"),
        (["data.max_source_tokens=400"], "max_source_tokens must be <= 254"),
    ],
)
def test_bad_configs_are_refused(overrides, message):
    with pytest.raises(UserError, match=message):
        _cfg(*overrides)


def test_bad_tsv_line_is_one_clear_line(tmp_path, error_line):
    (tmp_path / "bad.tsv").write_text("a document here\ta summary\nno tab on this line\n")
    args = ["data", "summarization", "--preset", "smoke", "--set", "data.source=tsv"]
    assert main([*args, "--set", f"data.tsv_path={tmp_path / 'bad.tsv'}"]) == 2
    assert "bad.tsv:2: expected 'document<TAB>summary'" in error_line()


@pytest.fixture(scope="module")
def cli_run(train_smoke):
    return train_smoke("summarization")


def test_cli_run_reports_rouge_beside_every_baseline(cli_run, capsys):
    metrics = json.loads((cli_run / "metrics.json").read_text())
    test = metrics["test"]
    assert {"rouge1", "rouge2", "rougeL", "novel_bigrams", "invented_words"} <= set(test["model"])
    assert set(test["baselines"]) == {"lead_1", test["baseline_name"], "lexrank"}
    assert test["baseline_name"].startswith("first_") and test["pairs"] == 8
    assert 0 < test["baselines"]["lead_1"]["rougeL"] < 100
    assert test["baselines"]["lead_1"]["novel_unigrams"] == 0  # an extract invents nothing
    parts = [test[p]["pairs"] for p in ("non_templated", "templated") if p in test]
    assert sum(parts) == 8
    rows = (cli_run / "samples" / "summaries.tsv").read_text().splitlines()
    assert rows[0].split("\t")[:3] == ["document", "reference", "lead_1"] and len(rows) == 9
    copy_lines = (cli_run / "samples" / "copy.txt").read_text().splitlines()
    assert any("|" in line for line in copy_lines[2:])
    capsys.readouterr()
    assert main(["evaluate", "--workdir", str(cli_run)]) == 0
    assert "rougeL" in capsys.readouterr().out


def test_cli_predict_one_summary_per_document_and_a_truncation_note(
    cli_run, tmp_path, capsys, monkeypatch
):
    long = " ".join(f"word{i}" for i in range(300))
    monkeypatch.setattr("sys.stdin", io.StringIO(f"A small tool.\n\n\n{long}\n\nA library.\n"))
    capsys.readouterr()
    assert main(["predict", "--workdir", str(cli_run), "-", "--beam-width", "1"]) == 0
    out, err = capsys.readouterr()
    assert len(out.splitlines()) == 3
    assert err.count("longer than the model's window") == 1 and "1 of 3" in err
    (tmp_path / "doc.txt").write_text("A small tool.\n\nIt has two paragraphs.\n")
    target = tmp_path / "out.txt"
    args = ["predict", "--workdir", str(cli_run), str(tmp_path / "doc.txt"), "-o", str(target)]
    assert main([*args, "--max-length", "3"]) == 0
    assert len(target.read_text().splitlines()) == 1  # a file is one document
    assert main(args) == 2  # the output exists: never overwritten


@pytest.mark.parametrize(
    "args, message",
    [
        (["none.txt"], "input not found"),
        (["empty.txt"], "is empty"),
        (["latin1.txt"], "is not UTF-8"),
        (["empty.txt", "--beam-width", "0"], "--beam-width must be >= 1"),
        (["empty.txt", "--no-repeat-ngram", "1"], "--no-repeat-ngram must be 0"),
    ],
)
def test_cli_predict_bad_input_is_one_line(cli_run, tmp_path, error_line, args, message):
    (tmp_path / "empty.txt").write_text("\n")
    (tmp_path / "latin1.txt").write_bytes("caf\xe9 au lait".encode("latin-1"))
    paths = [str(tmp_path / a) if a.endswith(".txt") else a for a in args]
    assert main(["predict", "--workdir", str(cli_run), *paths]) == 2
    assert message in error_line()


def test_bart_preset_fine_tunes_offline_from_its_own_weights(tmp_path, capsys):
    preset = tmp_path / "tiny_bart"
    saved = tiny_bart(preset)
    overrides = ["model.name=bart", f"model.preset={preset}", "data.max_source_tokens=48"]
    cfg = _cfg(*overrides)
    model = TASK.build_model(cfg)  # loaded, not initialised: the preset's very weights
    for mine, theirs in zip(model.lm.backbone.weights, saved.backbone.weights, strict=True):
        np.testing.assert_array_equal(np.asarray(mine), np.asarray(theirs))
    codec = inference.codec_of(model)
    assert codec.decode(codec.encode(["the tool"])) == ["the tool"]
    # cached decoding equals the training forward pass (ids shifted by one: 0 is padding)
    source = tf.constant([codec.encode(["the cat sat"])[0] + [codec.eos, 0]])
    target_in = tf.constant([[codec.bos, *codec.encode(["the"])[0]]])
    full = tf.nn.log_softmax(model({"source": source, "target_in": target_in}))
    state = model.decode_state(source, target_in.shape[1])
    buffer = tf.concat([target_in, tf.zeros([1, 1], tf.int32)], 1)
    for index in range(target_in.shape[1]):
        log_probs, state = model.decode_step(buffer, tf.constant(index), state)
        np.testing.assert_allclose(log_probs[:, 1:], full[:, index, 1:], atol=1e-4)
    workdir = tmp_path / "run"
    args = ["train", "summarization", "--preset", "smoke", "--workdir", str(workdir)]
    assert main([*args, *(f"--set={o}" for o in overrides)]) == 0
    tuned = keras.saving.load_model(workdir / "model.keras", safe_mode=True)
    first = np.asarray(tuned.lm.backbone.token_embedding.embeddings)
    assert not np.array_equal(first, np.asarray(saved.backbone.token_embedding.embeddings))
    metrics = json.loads((workdir / "metrics.json").read_text())
    assert 0 <= metrics["test"]["model"]["rougeL"] <= 100


def test_bart_needs_a_preset_and_a_preset_needs_bart():
    with pytest.raises(UserError, match="model.preset"):
        _cfg("model.name=bart")
    with pytest.raises(UserError, match="model.preset"):
        _cfg("model.preset=/some/folder")
