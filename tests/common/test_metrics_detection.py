import numpy as np

from deeptasks.common.metrics.detection import coco_evaluate, to_coco_results

TRUTH = [
    (np.array([[10, 10, 50, 50], [60, 60, 100, 120]], np.float32), np.array([0, 1])),
    (np.array([[0, 0, 30, 30]], np.float32), np.array([0])),
]


def test_perfect_detections_score_one():
    found = [(b, np.ones(len(b)), lab) for b, lab in TRUTH]
    scores = coco_evaluate(TRUTH, found, ["a", "b"], (128, 128))
    assert scores["map_50_95"] == scores["map_50"] == scores["recall"] == 1.0


def test_hand_made_case_with_known_ap():
    # class a: 2 objects; a right hit scored 0.9, a false alarm 0.8, a miss. Precision at
    # recall 0.5 is 1, recall 1 is never reached: AP = 1 * 51/101 recall points... with
    # COCO's 101-point interpolation, points 0..0.5 (51 of 101) have precision 1.
    # class b: its object found exactly, so AP 1. mAP = (51/101 + 1) / 2.
    found = [
        (
            np.array([[10, 10, 50, 50], [70, 0, 90, 20], [60, 60, 100, 120]], np.float32),
            np.array([0.9, 0.8, 0.7]),
            np.array([0, 0, 1]),
        ),
        (np.zeros((0, 4), np.float32), np.zeros(0), np.zeros(0, int)),
    ]
    scores = coco_evaluate(TRUTH, found, ["a", "b"], (128, 128))
    expected_a = 51 / 101
    assert abs(scores["per_class_ap"]["a"] - expected_a) < 1e-3
    assert scores["per_class_ap"]["b"] == 1.0
    assert abs(scores["map_50"] - (expected_a + 1) / 2) < 1e-3
    # a box shifted to IoU 0.6 counts at 0.5 but not at 0.75
    shifted = [(np.array([[10, 10, 50, 70]], np.float32), [1.0], [0]), found[1]]
    partial = coco_evaluate(TRUTH[:1] + [TRUTH[1]], shifted, ["a", "b"], (128, 128))
    assert partial["per_class_ap"]["a"] < 1.0 and partial["map_50"] > partial["map_75"]


def test_no_detections_score_zero_and_results_use_coco_xywh():
    empty = [(np.zeros((0, 4)), np.zeros(0), np.zeros(0, int))] * 2
    assert coco_evaluate(TRUTH, empty, ["a", "b"], (128, 128))["map_50"] == 0.0
    record = to_coco_results([7], [np.array([[10, 20, 50, 80]])], [[0.5]], [[2]])[0]
    assert record == {
        "image_id": 7,
        "category_id": 3,
        "bbox": [20.0, 10.0, 60.0, 40.0],
        "score": 0.5,
    }
