"""Variable-length rows (token ids, audio samples) as one ``tf.RaggedTensor``, the form
``tf.data.Dataset.from_tensor_slices`` takes them in."""

from __future__ import annotations

import numpy as np
import tensorflow as tf


def ragged_rows(rows, dtype) -> tf.RaggedTensor:
    """``rows`` (sequences of numbers, possibly empty) stacked as ``[len(rows), None]``."""
    lengths = [len(row) for row in rows]
    flat = np.concatenate([np.asarray(row, dtype) for row in rows]) if rows else np.zeros(0, dtype)
    return tf.RaggedTensor.from_row_lengths(flat, lengths)
