import math

import keras
import numpy as np
import pytest

from deeptasks.common.metrics.segmentation import (
    ConfusionMatrix,
    confusion_matrix,
    foreground_iou,
    scores_from_confusion,
)


def test_known_answer_with_an_absent_class():
    truth = np.array([[0, 0], [1, 1]])
    predicted = np.array([[0, 1], [1, 1]])
    scores = scores_from_confusion(confusion_matrix(truth, predicted, 3), ["bg", "a", "b"])
    # bg: TP 1, FN 1 -> 1/2; a: TP 2, FP 1 -> 2/3; b: in neither -> excluded (None)
    assert scores["per_class_iou"] == {"bg": 0.5, "a": round(2 / 3, 4), "b": None}
    assert scores["miou"] == pytest.approx((1 / 2 + 2 / 3) / 2)
    assert scores["pixel_accuracy"] == pytest.approx(3 / 4)


def test_foreground_iou_merges_the_object_classes():
    truth = np.array([[0, 1], [2, 2]])
    predicted = np.array([[1, 2], [2, 0]])  # one object pixel named wrong, one missed
    counts = confusion_matrix(truth, predicted, 3)
    # objects: truth {(0,1), (1,0), (1,1)}, predicted {(0,0), (0,1), (1,0)}: 2 / 4
    assert foreground_iou(counts) == pytest.approx(0.5)
    assert scores_from_confusion(counts)["miou"] < 0.5  # the class-aware score is lower
    assert math.isnan(foreground_iou(confusion_matrix(np.zeros(4), np.zeros(4), 3)))


def test_a_class_only_predicted_counts_as_zero():
    truth = np.zeros((2, 2), int)
    predicted = np.array([[0, 0], [0, 2]])
    scores = scores_from_confusion(confusion_matrix(truth, predicted, 3))
    assert scores["per_class_iou"] == {"0": 0.75, "1": None, "2": 0.0}
    assert scores["miou"] == pytest.approx(0.375)


def test_split_scores_come_from_one_matrix_not_a_mean_of_images():
    matrix = ConfusionMatrix(2)
    matrix.update(np.zeros((2, 2), int), np.zeros((2, 2), int))  # alone: mIoU 1
    matrix.update(np.array([[0, 0], [1, 1]]), np.array([[0, 1], [1, 1]]))  # alone: 0.583
    # accumulated: bg TP 5, FN 1 -> 5/6; class 1 TP 2, FP 1 -> 2/3
    assert matrix.scores()["miou"] == pytest.approx((5 / 6 + 2 / 3) / 2)
    assert matrix.scores()["miou"] != pytest.approx((1 + (1 / 2 + 2 / 3) / 2) / 2)


def test_ignored_pixels_count_nowhere_and_nothing_gives_nan():
    truth = np.array([255, 255, 1, 0])
    predicted = np.array([1, 1, 1, 0])
    counts = confusion_matrix(truth, predicted, 2)
    assert counts.sum() == 2 and scores_from_confusion(counts)["miou"] == 1.0
    assert math.isnan(scores_from_confusion(np.zeros((2, 2), int))["miou"])


def test_agrees_with_keras_mean_iou():
    rng = np.random.default_rng(0)
    truth = rng.integers(0, 4, (3, 16, 16))
    truth[truth == 3] = 2  # class 3 never occurs in truth ...
    predicted = np.where(rng.random(truth.shape) < 0.6, truth, rng.integers(0, 3, truth.shape))
    ours = scores_from_confusion(confusion_matrix(truth, predicted, 4))["miou"]
    metric = keras.metrics.MeanIoU(4)
    metric.update_state(truth, predicted)  # ... nor in prediction: both leave it out
    assert ours == pytest.approx(float(metric.result()), rel=1e-6)
