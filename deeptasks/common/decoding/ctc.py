"""CTC decoding: per-frame character scores -> text, greedy or by beam search.

Label 0 is CTC's blank; label ``k >= 1`` is ``alphabet[k - 1]``. Greedy decoding takes the
best label of every frame, merges repeats and drops blanks (Graves et al., 2006). Beam
search keeps ``beam_width`` prefixes, merging paths that spell the same text: without a
language model ``tf.nn.ctc_beam_search_decoder``; with a character n-gram model fused in,
``prefix_beam_search``.
"""

from __future__ import annotations

import math

import numpy as np
import tensorflow as tf

BLANK = 0


def encode(text: str, alphabet: str) -> list[int]:
    """Label ids of ``text`` (characters outside ``alphabet`` are dropped)."""
    index = {char: k + 1 for k, char in enumerate(alphabet)}
    return [index[char] for char in text if char in index]


def labels_to_text(labels, alphabet: str) -> str:
    """Ids (blank and padding 0 skipped) -> text, with no merging of repeats."""
    return "".join(alphabet[k - 1] for k in np.asarray(labels).tolist() if 0 < k <= len(alphabet))


def collapse(path) -> list[int]:
    """A best path -> its labels: repeats merged, then blanks removed."""
    labels, previous = [], None
    for label in np.asarray(path).tolist():
        if label != previous and label != BLANK:
            labels.append(label)
        previous = label
    return labels


def greedy_decode(logits: np.ndarray, alphabet: str, lengths=None) -> list[str]:
    """Texts of a batch of ``[B, T, C]`` scores (logits or probabilities; ``lengths``
    limits each utterance's frames)."""
    best = np.argmax(np.asarray(logits), axis=-1)
    lengths = [best.shape[1]] * len(best) if lengths is None else lengths
    return [labels_to_text(collapse(path[:n]), alphabet) for path, n in zip(best, lengths)]


def beam_decode(logits: np.ndarray, alphabet: str, beam_width: int = 16, lengths=None) -> list[str]:
    """Beam-search texts of a batch of ``[B, T, C]`` logits (blank at index 0)."""
    logits = np.asarray(logits, np.float32)
    batch, frames, classes = logits.shape
    lengths = np.full([batch], frames, np.int32) if lengths is None else np.asarray(lengths)
    # TF's decoder wants time-major log-probabilities with the blank as the *last* class.
    log_probs = tf.nn.log_softmax(logits, axis=-1)
    log_probs = tf.concat([log_probs[..., 1:], log_probs[..., :1]], axis=-1)
    decoded, _ = tf.nn.ctc_beam_search_decoder(
        tf.transpose(log_probs, [1, 0, 2]),
        tf.cast(lengths, tf.int32),
        beam_width=beam_width,
        top_paths=1,
    )
    dense = tf.sparse.to_dense(decoded[0], default_value=-1).numpy()
    return ["".join(alphabet[k] for k in row if 0 <= k < len(alphabet)) for row in dense] + [
        "" for _ in range(batch - len(dense))
    ]


def _logaddexp(a: float, b: float) -> float:
    if a < b:
        a, b = b, a
    return a if b == -math.inf else a + math.log1p(math.exp(b - a))


def prefix_beam_search(
    log_probs: np.ndarray,
    alphabet: str,
    beam_width: int = 16,
    lm=None,
    lm_weight: float = 0.5,
    char_bonus: float = 0.0,
    prune: float = -10.0,
) -> str:
    """CTC prefix beam search over one utterance's ``[T, C]`` log-probabilities (blank at
    0), with a character language model fused in (Hannun et al., 2014, "First-Pass Large
    Vocabulary Continuous Speech Recognition using Bi-Directional Recurrent DNNs").

    A prefix is scored by log P_ctc(prefix) + ``lm_weight`` * log P_lm(prefix) +
    ``char_bonus`` * len(prefix); the end of the sentence is scored by the model at the
    last frame. ``lm`` needs ``log_prob(history, char)`` (e.g. ``char_lm.CharNgramLM``);
    without one this is plain prefix beam search. Labels scoring below ``prune`` at a
    frame (log-probability) are not tried there, except each frame's best.
    """
    log_probs = np.asarray(log_probs, np.float64)
    # prefix -> [log P(prefix, path ends in blank), log P(prefix, path ends in a label),
    #            the fused language model's log-probability of the prefix]
    beams: dict[str, list[float]] = {"": [0.0, -math.inf, 0.0]}

    def rank(item) -> float:
        prefix, (p_blank, p_label, lm_score) = item
        return _logaddexp(p_blank, p_label) + lm_score + char_bonus * len(prefix)

    for frame in log_probs:
        # the labels above ``prune``, or the best one (itself above whenever any is)
        labels = (np.flatnonzero(frame[1:] >= prune) + 1).tolist() or [
            int(np.argmax(frame[1:])) + 1
        ]
        blank = float(frame[BLANK])
        following: dict[str, list[float]] = {}
        for prefix, (p_blank, p_label, lm_score) in beams.items():
            total = _logaddexp(p_blank, p_label)
            same = following.get(prefix)
            if same is None:
                same = following[prefix] = [-math.inf, -math.inf, lm_score]
            same[0] = _logaddexp(same[0], total + blank)
            last = prefix[-1] if prefix else None
            for k in labels:
                char, score = alphabet[k - 1], float(frame[k])
                if char == last:  # a repeat merges unless a blank separates the two
                    same[1] = _logaddexp(same[1], p_label + score)
                    source = p_blank
                else:
                    source = total
                if source == -math.inf:
                    continue
                extended = prefix + char
                grown = following.get(extended)
                if grown is None:  # the LM scores a prefix once, when it first appears
                    fused = lm_score + (lm_weight * lm.log_prob(prefix, char) if lm else 0.0)
                    grown = following[extended] = [-math.inf, -math.inf, fused]
                grown[1] = _logaddexp(grown[1], source + score)
        beams = dict(sorted(following.items(), key=rank, reverse=True)[:beam_width])

    def final(item) -> float:  # the fused model also scores the end of the sentence
        return rank(item) + (lm_weight * lm.log_prob(item[0], lm.end) if lm else 0.0)

    return max(beams.items(), key=final)[0]
