import numpy as np
import tensorflow as tf

from deeptasks.common.decoding import seq2seq

BOS, EOS, VOCAB = 2, 3, 7


def _markov(seed: int):
    """A step whose next-token distribution depends on the last token and the row's own
    offset (kept in the state, so beam reordering is exercised)."""
    table = tf.constant(np.random.default_rng(seed).normal(0, 2, (4, VOCAB, VOCAB)), tf.float32)

    def step(tokens, index, state):
        last = tf.gather(tokens, index, axis=1)
        logits = tf.gather_nd(table, tf.stack([state["row"], last], -1))
        return tf.nn.log_softmax(logits), state

    return step


def test_beam_width_one_is_greedy():
    for seed in range(5):
        state = {"row": tf.constant([0, 1, 2, 3])}
        limits = np.array([5, 9, 3, 12])
        greedy = seq2seq.greedy_search(_markov(seed), state, limits, BOS, EOS)
        beam = seq2seq.beam_search(_markov(seed), state, limits, BOS, EOS, beam_width=1)
        assert beam == greedy
        assert all(len(out) < limit for out, limit in zip(greedy, limits))


def _score(step, state, ids):
    tokens = tf.constant([[BOS, *ids, EOS]])
    total = 0.0
    for index, token in enumerate([*ids, EOS]):
        log_probs, _ = step(tokens, tf.constant(index), state)
        total += float(log_probs[0, token])
    return total


def test_beam_search_finds_more_likely_translations():
    better = 0
    for seed in range(8):
        step, state = _markov(seed), {"row": tf.constant([seed % 4])}
        greedy = seq2seq.greedy_search(step, state, np.array([8]), BOS, EOS)[0]
        beam = seq2seq.beam_search(step, state, np.array([8]), BOS, EOS, beam_width=6, alpha=0)
        beam = beam[0]
        assert _score(step, state, beam) >= _score(step, state, greedy) - 1e-5
        better += _score(step, state, beam) > _score(step, state, greedy) + 1e-5
    assert better > 0


def test_max_lengths_relative_to_source():
    assert seq2seq.max_target_lengths(np.array([4, 10, 200]), 1.5, 10, 128).tolist() == [
        16,
        25,
        128,
    ]


def test_repeat_bans_name_the_tokens_that_would_repeat_an_ngram():
    tokens = np.array([[BOS, 4, 5, 6, 4, 5, 0], [BOS, 4, 4, 4, 0, 0, 0]])
    rows, ids = seq2seq.repeat_bans(tokens, 5, 3)  # prefix BOS 4 5 6 4 5: "4 5" had 6 next
    assert rows.tolist() == [0] and ids.tolist() == [6]
    rows, ids = seq2seq.repeat_bans(tokens, 3, 2)  # BOS 4 5 6 (none) / BOS 4 4 4: 4 had 4
    assert rows.tolist() == [1, 1] and ids.tolist() == [4, 4]
    rows, ids = seq2seq.repeat_bans(tokens, 3, 3)  # BOS 4 4 4: "4 4" had 4 next
    assert rows.tolist() == [1] and ids.tolist() == [4]
    assert len(seq2seq.repeat_bans(tokens, 5, 0)[0]) == 0  # off


def _looping(tokens, index, state):
    """A step that prefers to repeat 4 5 forever: 4 -> 5 -> 4, with 6 second best."""
    last = tf.gather(tokens, index, axis=1)
    logits = tf.where(
        last[:, None] == 4,
        tf.constant([[0.0, 0, 0, -1, 0, 5, 2]]),
        tf.constant([[0.0, 0, 0, -1, 5, 0, 2]]),
    )
    return tf.nn.log_softmax(logits - tf.constant([[10.0, 10, 10, 0, 0, 0, 0]])), state


def test_ngram_blocking_stops_loops_in_greedy_and_beam_search():
    limits, state = np.array([9]), {"row": tf.constant([0])}
    loop = seq2seq.greedy_search(_looping, state, limits, BOS, EOS)[0]
    assert loop == [4, 5, 4, 5, 4, 5, 4, 5]
    for found in (
        seq2seq.greedy_search(_looping, state, limits, BOS, EOS, no_repeat_ngram=2)[0],
        seq2seq.beam_search(_looping, state, limits, BOS, EOS, beam_width=3, no_repeat_ngram=2)[0],
    ):
        bigrams = list(zip(found, found[1:]))
        assert len(bigrams) == len(set(bigrams)) and len(found) > 2
    same = seq2seq.beam_search(_looping, state, limits, BOS, EOS, beam_width=1, no_repeat_ngram=2)
    assert same[0] == seq2seq.greedy_search(_looping, state, limits, BOS, EOS, no_repeat_ngram=2)[0]
