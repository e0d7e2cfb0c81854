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
