import pytest

from deeptasks.common.metrics import text


def test_bleu_known_answer():
    # n-gram precisions 6/7, 5/6, 4/5, 3/4, no brevity penalty: BLEU = (3/7) ** (1/4)
    hypothesis = ["the cat sat on the mat today"]
    assert text.bleu(hypothesis, ["the cat sat on the mat"]) == pytest.approx(80.91, abs=0.01)
    assert text.translation_scores(["a b c d"], ["a b c d"]) == {"bleu": 100.0, "chrf": 100.0}
    assert text.translation_scores(["x y z w"], ["a b c d"])["bleu"] == 0.0


def test_chrf_rewards_partial_words_and_signatures_name_the_version():
    close = text.chrf(["translations"], ["translation"])
    far = text.chrf(["banana"], ["translation"])
    assert 50 < close < 100 and far < 20
    assert "version:" in text.signatures()["bleu"] and "nc:6" in text.signatures()["chrf"]


def test_lengths_must_match():
    with pytest.raises(ValueError):
        text.bleu(["a"], ["a", "b"])


def test_rouge_known_answer_with_stemming():
    # 6 words each; unigrams shared: the, cat, on, the, mat -> P = R = 5/6; bigrams shared:
    # "the cat", "on the", "the mat" of 5 -> 3/5; LCS "the cat on the mat" = 5 -> 5/6
    scores = text.rouge_scores(["the cat sat on the mat"], ["the cat is on the mat"])
    assert scores == {"rouge1": 83.33, "rouge2": 60.0, "rougeL": 83.33}
    # stemming: "libraries" and "library" are one word
    assert text.rouge_scores(["libraries"], ["library"])["rouge1"] == 100.0
    assert text.rouge_scores(["x"], ["y"]) == {"rouge1": 0.0, "rouge2": 0.0, "rougeL": 0.0}


def test_abstractiveness_counts_novel_and_invented_words():
    found = text.abstractiveness(["fast foo tool"], ["a foo tool is here"], ["fast tool"])
    # "fast" is not in the document but is in the reference: novel, not invented
    assert found == {
        "length_ratio": 1.5,
        "novel_unigrams": 33.33,
        "novel_bigrams": 50.0,
        "invented_words": 0.0,
    }
    assert text.abstractiveness(["zork tool"], ["a tool"], ["a tool"])["invented_words"] == 50.0
