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
