"""CTC decoding: per-frame character scores -> text, greedy or by beam search.

Label 0 is CTC's blank; label ``k >= 1`` is ``alphabet[k - 1]``. Greedy decoding takes the
best label of every frame, merges repeats and drops blanks (Graves et al., 2006). Beam
search keeps ``beam_width`` prefixes, merging paths that spell the same text
(``tf.nn.ctc_beam_search_decoder``, no language model).
"""

from __future__ import annotations

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
