import keras
import numpy as np

from deeptasks.common import boxes


def test_iou_known_answers():
    a = np.array([[0, 0, 10, 10], [0, 0, 10, 10]], np.float32)
    b = np.array([[0, 0, 10, 10], [5, 5, 15, 15], [20, 20, 30, 30], [0, 0, 10, 5]], np.float32)
    result = np.asarray(boxes.iou(a, b))
    assert result.shape == (2, 4)
    np.testing.assert_allclose(result[0], [1.0, 25 / 175, 0.0, 0.5], rtol=1e-6)


def test_codec_follows_the_rcnn_formulas_and_round_trips():
    prior = np.array([[10, 20, 50, 60]], np.float32)  # centre (30, 40), 40 x 40
    deltas = np.array([[0.5, -0.25, np.log(2.0), 0.0]], np.float32)
    decoded = np.asarray(boxes.decode(prior, deltas))
    # Gy = Ph*dy + Py = 40*0.5 + 30 = 50; Gx = 40*-0.25 + 40 = 30; Gh = 40*e^ln2 = 80; Gw = 40
    np.testing.assert_allclose(decoded, [[50 - 40, 30 - 20, 50 + 40, 30 + 20]], rtol=1e-6)
    rng = np.random.default_rng(0)
    corner = rng.uniform(0, 100, (50, 2)).astype(np.float32)
    priors = np.concatenate([corner, corner + rng.uniform(5, 50, (50, 2))], -1).astype(np.float32)
    corner = rng.uniform(0, 100, (50, 2)).astype(np.float32)
    truth = np.concatenate([corner, corner + rng.uniform(5, 50, (50, 2))], -1).astype(np.float32)
    round_trip = np.asarray(boxes.decode(priors, boxes.encode(priors, truth)))
    np.testing.assert_allclose(round_trip, truth, rtol=1e-4, atol=1e-3)


def test_codec_matches_the_one_keras_retinanet_decodes_with():
    rng = np.random.default_rng(1)
    corner = rng.uniform(0, 100, (20, 2)).astype(np.float32)
    anchors = np.concatenate([corner, corner + rng.uniform(5, 50, (20, 2))], -1).astype(np.float32)
    deltas = rng.normal(0, 0.3, (1, 20, 4)).astype(np.float32)
    theirs = keras.utils.bounding_boxes.decode_deltas_to_boxes(
        anchors=anchors,
        boxes_delta=deltas,
        anchor_format="yxyx",
        box_format="yxyx",
        encoded_format="center_yxhw",
    )
    ours = boxes.decode(anchors[None], deltas)
    np.testing.assert_allclose(np.asarray(theirs), np.asarray(ours), rtol=1e-4, atol=1e-3)
