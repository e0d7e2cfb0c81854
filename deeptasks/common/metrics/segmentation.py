"""Semantic segmentation metrics from one confusion matrix over a whole split.

The standard protocol (PASCAL VOC, Cityscapes): accumulate the ``C x C`` pixel
confusion matrix over every test image, then take the scores from it once; they are
*not* averaged per image or per batch, which would weight small images and rare
classes differently. For class ``c`` with true positives ``TP``, false positives
``FP`` and false negatives ``FN`` summed over the split:

* ``IoU_c = TP / (TP + FP + FN)``;
* ``miou`` = the mean of ``IoU_c`` over the classes that occur in the truth *or* the
  prediction. A class absent from both has ``TP + FP + FN = 0``: its IoU is undefined,
  it is left out of the mean, and its per-class entry is NaN (``None`` in JSON);
* ``pixel_accuracy`` = correctly labelled pixels / all counted pixels.

Pixels whose true label is outside ``[0, C)`` (e.g. 255, VOC's "void") count nowhere.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np


def confusion_matrix(truth, predicted, num_classes: int) -> np.ndarray:
    """``C x C`` int64 counts, rows = true class, columns = predicted class; pixels with
    a true label outside ``[0, C)`` are skipped."""
    truth = np.asarray(truth).reshape(-1).astype(np.int64)
    predicted = np.asarray(predicted).reshape(-1).astype(np.int64)
    if truth.shape != predicted.shape:
        raise ValueError(f"truth has {truth.size} pixels, prediction {predicted.size}")
    keep = (truth >= 0) & (truth < num_classes)
    index = truth[keep] * num_classes + np.clip(predicted[keep], 0, num_classes - 1)
    return np.bincount(index, minlength=num_classes**2).reshape(num_classes, num_classes)


class ConfusionMatrix:
    """A confusion matrix accumulated image by image over a split.

    Example:
        >>> matrix = ConfusionMatrix(3)
        >>> for truth, predicted in pairs:
        ...     matrix.update(truth, predicted)
        >>> matrix.scores(["background", "cat", "dog"])["miou"]
    """

    def __init__(self, num_classes: int):
        self.num_classes = num_classes
        self.counts = np.zeros((num_classes, num_classes), np.int64)

    def update(self, truth, predicted) -> None:
        self.counts += confusion_matrix(truth, predicted, self.num_classes)

    def scores(self, names: Sequence[str] | None = None) -> dict:
        return scores_from_confusion(self.counts, names)


def per_class_iou(counts: np.ndarray) -> np.ndarray:
    """IoU of each class from a confusion matrix; NaN where a class is in neither the
    truth nor the prediction."""
    counts = np.asarray(counts, np.float64)
    hits = np.diag(counts)
    union = counts.sum(axis=0) + counts.sum(axis=1) - hits
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(union > 0, hits / union, np.nan)


def foreground_iou(counts: np.ndarray) -> float:
    """IoU of "any object" against class 0 (background): every other class merged into
    one. It tells finding the objects apart from naming them; NaN without any object."""
    counts = np.asarray(counts, np.float64)
    hits = counts[1:, 1:].sum()  # an object pixel called some object class
    union = counts[1:, :].sum() + counts[:, 1:].sum() - hits
    return float(hits / union) if union > 0 else float("nan")


def scores_from_confusion(counts: np.ndarray, names: Sequence[str] | None = None) -> dict:
    """``{"miou", "pixel_accuracy", "foreground_iou", "per_class_iou": {name: IoU or
    None}}`` of a confusion matrix (see the module docstring for the absent-class rule;
    :func:`foreground_iou` for class 0 as background)."""
    counts = np.asarray(counts)
    iou = per_class_iou(counts)
    names = list(names) if names is not None else [str(k) for k in range(len(counts))]
    total = counts.sum()
    present = ~np.isnan(iou)
    return {
        "miou": float(iou[present].mean()) if present.any() else float("nan"),
        "pixel_accuracy": float(np.trace(counts) / total) if total else float("nan"),
        "foreground_iou": foreground_iou(counts),
        "per_class_iou": {
            name: (None if np.isnan(value) else round(float(value), 4))
            for name, value in zip(names, iou)
        },
    }
