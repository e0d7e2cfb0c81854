import keras
import numpy as np
import pytest

from deeptasks.common.decoding import ctc
from deeptasks.common.decoding.char_lm import END, START, CharNgramLM
from deeptasks.common.losses import CTCLoss
from deeptasks.common.metrics.speech import cer, wer

ALPHABET = "ab"  # labels: 0 blank, 1 'a', 2 'b'


def test_ctc_loss_of_a_hand_made_alignment():
    # uniform scores over 3 classes, 2 frames, label "a": the paths a-a, a-blank, blank-a
    # spell it, so p = 3 / 9 and the loss is -log(1/3)
    loss = CTCLoss()(np.array([[1, 0]]), np.zeros([1, 2, 3], np.float32))
    assert float(loss) == pytest.approx(np.log(3.0), abs=1e-5)
    # a path that puts almost all mass on "a, blank, b" makes "ab" nearly certain
    peaked = np.full([1, 3, 3], -20.0, np.float32)
    peaked[0, [0, 1, 2], [1, 0, 2]] = 20.0
    assert float(CTCLoss()(np.array([[1, 2]]), peaked)) < 1e-3
    assert float(CTCLoss()(np.array([[2, 1]]), peaked)) > 10.0


def test_ctc_loss_serialises():
    loss = keras.losses.deserialize(keras.losses.serialize(CTCLoss(blank=0)))
    assert isinstance(loss, CTCLoss) and loss.blank == 0


def _one_hot(path, classes=3):
    scores = np.full([1, len(path), classes], -5.0, np.float32)
    scores[0, np.arange(len(path)), path] = 5.0
    return scores


def test_greedy_collapses_repeats_and_removes_blanks():
    assert ctc.collapse([0, 1, 1, 0, 1, 2, 2, 0]) == [1, 1, 2]
    assert ctc.greedy_decode(_one_hot([0, 1, 1, 0, 1, 2, 2, 0]), ALPHABET) == ["aab"]
    assert ctc.greedy_decode(_one_hot([1, 1, 1, 2]), ALPHABET) == ["ab"]
    assert ctc.greedy_decode(_one_hot([0, 0, 0]), ALPHABET) == [""]


def test_beam_search_agrees_on_a_clear_path_and_merges_paths():
    assert ctc.beam_decode(_one_hot([0, 1, 1, 0, 1, 2]), ALPHABET, beam_width=4) == ["aab"]
    # frame-wise best path is blank, blank (greedy ""), but "a" has more total mass:
    # p(a) = .4*.6 + .6*.4 + .4*.4 = .64 > p("") = .36
    probs = np.array([[[0.6, 0.4, 0.0], [0.6, 0.4, 0.0]]], np.float32)
    scores = np.log(probs + 1e-9)
    assert ctc.greedy_decode(scores, ALPHABET) == [""]
    assert ctc.beam_decode(scores, ALPHABET, beam_width=8) == ["a"]


def test_char_lm_known_answer_and_normalised():
    lm = CharNgramLM(["ab", "ab"], ALPHABET, order=2)
    # Witten-Bell: after "a", "b" was seen twice (1 distinct follower); order 0 gives
    # P(b) = (2 + 3 * 1/3) / (6 + 3), so P(b | a) = (2 + 1 * 1/3) / (2 + 1)
    assert lm.prob("a", "b") == pytest.approx(7 / 9)
    # Kneser-Ney: every bigram seen twice and no count of 1, so D = 0.5 at both orders;
    # each of a, b and the end follows one distinct character: P(b) = (1 - 0.5 + 0.5 * 3 *
    # 1/3) / 3 = 1/3, and P(b | a) = (2 - 0.5 + 0.5 * 1 * 1/3) / 2
    kneser_ney = CharNgramLM(["ab", "ab"], "ab", order=2, smoothing="kneser_ney")
    assert kneser_ney.prob("a", "b") == pytest.approx(5 / 6)
    for smoothing in ("witten_bell", "kneser_ney"):
        english = CharNgramLM(
            ["the cat sat", "a cat ate", "the hat"], " acehst", order=4, smoothing=smoothing
        )
        for history in ("", "th", "the c", "zz", "the hat"):
            total = sum(english.prob(history, c) for c in " acehst" + END)
            assert total == pytest.approx(1.0), (smoothing, history)
        assert english.prob("the c", "a") > english.prob("the c", "h")
    with pytest.raises(ValueError):
        CharNgramLM(["ab"], ALPHABET, order=0)
    with pytest.raises(ValueError, match="smoothing"):
        CharNgramLM(["ab"], ALPHABET, smoothing="good_turing")


def _witten_bell(texts, alphabet, order, history, char):
    """Witten-Bell from counts taken one n-gram at a time: the definition, for checking
    the model's counting with numpy."""
    counts = {}
    for text in texts:
        padded = START * (order - 1) + "".join(c for c in text if c in alphabet) + END
        for i in range(order - 1, len(padded)):
            for k in range(order):
                nexts = counts.setdefault(padded[i - k : i], {})
                nexts[padded[i]] = nexts.get(padded[i], 0) + 1
    history = (START * order + history)[len(START * order + history) - (order - 1) :]
    value = 1 / (len(alphabet) + 1)
    for k in range(order):  # from the empty history up to the longest
        nexts = counts.get(history[len(history) - k :] if k else "", {})
        if nexts:
            total, distinct = sum(nexts.values()), len(nexts)
            value = (nexts.get(char, 0) + distinct * value) / (total + distinct)
    return value


def test_char_lm_counts_match_the_definition():
    texts = ["the cat sat", "a cat ate", "the hat", "that's \x02 é zeta", ""]
    alphabet = " acehst'"
    lm = CharNgramLM(texts, alphabet, order=3)
    for history in ("", "t", "th", "the c", "zt", "zth", "tz", "\x02t", "a cat a"):
        for char in alphabet + END + "z":
            expected = _witten_bell(texts, alphabet, 3, history, char)
            assert lm.prob(history, char) == pytest.approx(expected, rel=1e-12), (history, char)


def test_prefix_beam_search_matches_tf_without_a_language_model():
    rng = np.random.default_rng(0)
    for _ in range(20):
        logits = rng.normal(0, 3, [12, 3]).astype(np.float32)
        log_probs = logits - np.logaddexp.reduce(logits, -1, keepdims=True)
        ours = ctc.prefix_beam_search(log_probs, ALPHABET, beam_width=16, prune=-1e9)
        assert ours == ctc.beam_decode(logits[None], ALPHABET, beam_width=16)[0]
    # a repeated label needs a blank between its two copies
    assert ctc.prefix_beam_search(np.log(_probs([1, 1, 0, 1, 2])), ALPHABET) == "aab"


def _probs(path, classes=3, peak=0.98):
    probs = np.full([len(path), classes], (1 - peak) / (classes - 1))
    probs[np.arange(len(path)), path] = peak
    return probs


def test_language_model_settles_what_the_sound_leaves_open():
    alphabet = " acehkst"
    # frames spell "?at" where the first letter is c or k with equal acoustic evidence,
    # k slightly ahead: without an LM beam search writes "kat", with one trained on
    # English-like text it writes "cat"
    probs = np.full([4, len(alphabet) + 1], 1e-4)
    probs[0, 1 + alphabet.index("k")], probs[0, 1 + alphabet.index("c")] = 0.52, 0.48
    probs[1, 1 + alphabet.index("a")] = probs[2, 1 + alphabet.index("t")] = 1.0
    probs[3, 0] = 1.0
    log_probs = np.log(probs / probs.sum(-1, keepdims=True))
    assert ctc.prefix_beam_search(log_probs, alphabet, 8) == "kat"
    lm = CharNgramLM(["the cat sat", "a cat ate the hat", "cats"], alphabet, order=3)
    assert ctc.prefix_beam_search(log_probs, alphabet, 8, lm, lm_weight=1.0) == "cat"


def test_encode_round_trip():
    ids = ctc.encode("hello world", " abcdefghijklmnopqrstuvwxyz'")
    assert ids[:2] == [9, 6] and 0 not in ids
    assert ctc.labels_to_text(ids + [0, 0], " abcdefghijklmnopqrstuvwxyz'") == "hello world"


def test_wer_and_cer_known_strings():
    assert wer(["the cat sat on the mat"], ["the cat sit on mat"]) == pytest.approx(2 / 6)
    assert cer(["abcd"], ["abxd"]) == pytest.approx(0.25)
    # corpus-level: total edits over total reference words
    assert wer(["a b", "c d e f"], ["a b", ""]) == pytest.approx(4 / 6)
    assert cer(["ab"], ["ab"]) == 0.0
    with pytest.raises(ValueError):
        wer(["a"], [])


def test_word_lm_is_a_distribution_over_its_words_and_the_unknown_one():
    from deeptasks.common.decoding.word_lm import WordNgramLM

    texts = ["the cat sat", "the cat ate the hat", "a hat sat", "the dog sat"]
    lm = WordNgramLM(texts, order=3)
    assert lm.vocabulary == {"the", "cat", "sat", "ate", "hat", "a", "dog"}
    for history in ([], ["the"], ["the", "cat"], ["a", "hat"], ["never", "seen"]):
        total = sum(lm.prob(history, w) for w in lm.vocabulary) + lm.prob(history, "zebra")
        assert total == pytest.approx(1.0)
    assert lm.prob(["the"], "cat") > lm.prob(["the"], "hat") > lm.prob(["the"], "zebra") > 0
    assert lm.prob(["the", "cat"], "sat") > lm.prob(["a", "hat"], "ate")


def test_word_fusion_adds_the_word_score_where_a_word_ends():
    from deeptasks.common.decoding.word_lm import WordFusedLM, WordNgramLM

    alphabet = " acehst"
    texts = ["the cat sat", "the hat sat", "the cat"]
    chars, words = CharNgramLM(texts, alphabet, order=3), WordNgramLM(texts, order=2)
    fused = WordFusedLM(chars, words, weight=0.5)
    assert fused.log_prob("the c", "a") == chars.log_prob("the c", "a")  # inside a word
    assert fused.log_prob("the cat", " ") == pytest.approx(
        chars.log_prob("the cat", " ") + 0.5 * words.log_prob(["the"], "cat")
    )
    assert fused.log_prob("the hat", END) == pytest.approx(
        chars.log_prob("the hat", END) + 0.5 * words.log_prob(["the"], "hat")
    )
    assert fused.log_prob("the ", " ") == chars.log_prob("the ", " ")  # no word ended
