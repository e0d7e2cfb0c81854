"""CTC decoding: per-frame character scores -> text, greedy or by beam search.

Label 0 is CTC's blank; label ``k >= 1`` is ``alphabet[k - 1]``. Greedy decoding takes the
best label of every frame, merges repeats and drops blanks (Graves et al., 2006). Beam
search keeps ``beam_width`` prefixes, merging paths that spell the same text: without a
language model ``tf.nn.ctc_beam_search_decoder``; with a character n-gram model fused in,
``prefix_beam_search``.
"""

from __future__ import annotations

import heapq
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


def _rank(item) -> float:
    p_blank, p_label, lm_score = item[1]
    return _logaddexp(p_blank, p_label) + lm_score


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
    # the labels above ``prune`` at each frame, or the best one (itself above whenever any is)
    best = np.argmax(log_probs[:, 1:], axis=1) + 1
    above = log_probs >= prune
    above[:, BLANK] = False
    above[np.arange(len(log_probs)), best] = True
    steps = [
        (frame[BLANK], [(alphabet[k - 1], frame[k]) for k in np.flatnonzero(row).tolist()])
        for frame, row in zip(log_probs.tolist(), above)
    ]
    # prefix -> [log P(prefix, path ends in blank), log P(prefix, path ends in a label),
    #            the fused language model's log-probability of the prefix + the bonus]
    beams: dict[str, list[float]] = {"": [0.0, -math.inf, 0.0]}
    fused: dict[str, float] = {}  # prefix + char -> its fused score (+ bonus)
    logaddexp, inf = _logaddexp, -math.inf
    for blank, labels in steps:
        following: dict[str, list[float]] = {}
        for prefix, (p_blank, p_label, lm_score) in beams.items():
            total = logaddexp(p_blank, p_label)
            same = following.get(prefix)
            if same is None:
                same = following[prefix] = [inf, inf, lm_score]
            same[0] = logaddexp(same[0], total + blank)
            last = prefix[-1:]
            for char, score in labels:
                if char == last:  # a repeat merges unless a blank separates the two
                    same[1] = logaddexp(same[1], p_label + score)
                    source = p_blank
                else:
                    source = total
                if source == inf:
                    continue
                extended = prefix + char
                grown = following.get(extended)
                if grown is None:
                    if extended not in fused:  # the LM scores a prefix once per search
                        fused[extended] = (
                            lm_score
                            + char_bonus
                            + (lm_weight * lm.log_prob(prefix, char) if lm else 0.0)
                        )
                    grown = following[extended] = [inf, inf, fused[extended]]
                grown[1] = logaddexp(grown[1], source + score)
        if len(following) > beam_width:
            beams = dict(heapq.nlargest(beam_width, following.items(), key=_rank))
        else:
            beams = following

    def final(item) -> float:  # the fused model also scores the end of the sentence
        prefix, (p_blank, p_label, lm_score) = item
        end = lm_weight * lm.log_prob(prefix, lm.end) if lm else 0.0
        return logaddexp(p_blank, p_label) + lm_score + end

    return max(beams.items(), key=final)[0]
