import keras
import numpy as np
import pytest

from deeptasks.common.decoding import ctc
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
