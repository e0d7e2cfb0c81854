"""The predictors every segmentation model must beat.

* ``all_background``: every pixel background. It looks at nothing; its mIoU is the
  background's share of the union divided by the number of classes present.
* ``colour_bayes``: a per-pixel colour classifier, the classical skin/sky detector
  (Jones and Rehg, "Statistical Color Models with Application to Skin Detection",
  1999): a joint RGB histogram (16 levels per channel) of each class over training
  pixels, and the most frequent class of a pixel's colour bin (the Bayes decision with
  the training class priors). It sees colour but no shape or context.
"""

from __future__ import annotations

import numpy as np

LEVELS = 16  # histogram levels per colour channel
TRAIN_EXAMPLES = 200


def colour_bins(image: np.ndarray) -> np.ndarray:
    """uint8 RGB [H, W, 3] -> the index of each pixel's colour bin [H, W]."""
    quantised = np.asarray(image, np.int64) * LEVELS // 256
    return (quantised[..., 0] * LEVELS + quantised[..., 1]) * LEVELS + quantised[..., 2]


class ColourBayes:
    """Per-pixel class from a colour histogram; fit on ``(image, mask)`` pairs."""

    def __init__(self, num_classes: int):
        self.num_classes = num_classes
        self.counts = np.zeros((LEVELS**3, num_classes), np.int64)

    def update(self, image: np.ndarray, mask: np.ndarray) -> None:
        bins, labels = colour_bins(image).reshape(-1), np.asarray(mask).reshape(-1)
        keep = labels < self.num_classes  # ignored pixels teach nothing
        index = bins[keep] * self.num_classes + labels[keep]
        self.counts += np.bincount(index, minlength=self.counts.size).reshape(self.counts.shape)

    def predict(self, image: np.ndarray) -> np.ndarray:
        """[H, W] classes; an unseen colour is background."""
        return np.argmax(self.counts, axis=1)[colour_bins(image)]
