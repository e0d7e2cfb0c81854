"""Box geometry shared by detectors: IoU and the R-CNN box codec.

Boxes are ``[..., 4]`` corner boxes ``(y0, x0, y1, x1)`` in pixels (keras-hub's
``yxyx``). The codec is the one R-CNN, Faster R-CNN and RetinaNet use: with a prior box P
(an anchor or grid cell) of centre (Px, Py) and size (Pw, Ph), and deltas d(P),

    Gx = Pw * dx(P) + Px,   Gy = Ph * dy(P) + Py,
    Gw = Pw * exp(dw(P)),   Gh = Ph * exp(dh(P)).

Written with ``keras.ops`` so it serves numpy arrays and tensors alike.
"""

from __future__ import annotations

from keras import ops


def to_centre(boxes):
    """``(y0, x0, y1, x1)`` -> ``(cy, cx, h, w)``."""
    y0, x0, y1, x1 = ops.unstack(boxes, 4, axis=-1)
    return ops.stack([(y0 + y1) / 2, (x0 + x1) / 2, y1 - y0, x1 - x0], axis=-1)


def to_corners(boxes):
    """``(cy, cx, h, w)`` -> ``(y0, x0, y1, x1)``."""
    cy, cx, h, w = ops.unstack(boxes, 4, axis=-1)
    return ops.stack([cy - h / 2, cx - w / 2, cy + h / 2, cx + w / 2], axis=-1)


def encode(priors, boxes):
    """Deltas ``(dy, dx, dh, dw)`` that turn each prior into the matching box."""
    p, g = to_centre(priors), to_centre(boxes)
    return ops.stack(
        [
            (g[..., 0] - p[..., 0]) / p[..., 2],
            (g[..., 1] - p[..., 1]) / p[..., 3],
            ops.log(g[..., 2] / p[..., 2]),
            ops.log(g[..., 3] / p[..., 3]),
        ],
        axis=-1,
    )


def decode(priors, deltas):
    """Boxes from priors and deltas: the inverse of :func:`encode`."""
    p = to_centre(priors)
    dy, dx, dh, dw = ops.unstack(deltas, 4, axis=-1)
    centre = ops.stack(
        [
            p[..., 2] * dy + p[..., 0],
            p[..., 3] * dx + p[..., 1],
            p[..., 2] * ops.exp(dh),
            p[..., 3] * ops.exp(dw),
        ],
        axis=-1,
    )
    return to_corners(centre)


def iou(boxes_a, boxes_b):
    """Pairwise IoU ``[..., N, M]`` of corner boxes ``[..., N, 4]`` and ``[..., M, 4]``."""
    a, b = boxes_a[..., :, None, :], boxes_b[..., None, :, :]
    top = ops.maximum(a[..., 0], b[..., 0])
    left = ops.maximum(a[..., 1], b[..., 1])
    bottom = ops.minimum(a[..., 2], b[..., 2])
    right = ops.minimum(a[..., 3], b[..., 3])
    inter = ops.maximum(bottom - top, 0) * ops.maximum(right - left, 0)
    area_a = (a[..., 2] - a[..., 0]) * (a[..., 3] - a[..., 1])
    area_b = (b[..., 2] - b[..., 0]) * (b[..., 3] - b[..., 1])
    return inter / ops.maximum(area_a + area_b - inter, 1e-9)
