"""The trivial detector every model must beat: box priors.

It looks at no pixels. From the training examples it learns where objects usually are
and how big (k-means over box centres and sizes) and how often each class occurs; on
every test image it returns each prior box once per class, scored by
P(class) x P(cluster). Its mAP is the floor that says how much of a model's score comes
from seeing the image.
"""

from __future__ import annotations

import numpy as np

PRIORS = 8
TRAIN_EXAMPLES = 500


def box_prior_detections(boxes: np.ndarray, labels: np.ndarray, classes: int):
    """``(boxes, scores, labels)`` the prior detector gives for any image, fitted to the
    training ``boxes`` [N, 4] and ``labels`` [N]."""
    from sklearn.cluster import KMeans

    centre_size = np.stack(
        [
            (boxes[:, 0] + boxes[:, 2]) / 2,
            (boxes[:, 1] + boxes[:, 3]) / 2,
            boxes[:, 2] - boxes[:, 0],
            boxes[:, 3] - boxes[:, 1],
        ],
        axis=-1,
    )
    kmeans = KMeans(min(PRIORS, len(boxes)), random_state=0, n_init=4).fit(centre_size)
    weight = np.bincount(kmeans.labels_, minlength=kmeans.n_clusters) / len(boxes)
    cy, cx, h, w = kmeans.cluster_centers_.T
    priors = np.stack([cy - h / 2, cx - w / 2, cy + h / 2, cx + w / 2], axis=-1)
    class_freq = np.bincount(labels, minlength=classes) / len(labels)
    return (
        np.repeat(priors, classes, axis=0).astype(np.float32),
        (weight[:, None] * class_freq[None, :]).reshape(-1).astype(np.float32),
        np.tile(np.arange(classes), len(priors)).astype(np.int32),
    )
