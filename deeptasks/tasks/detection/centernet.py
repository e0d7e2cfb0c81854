"""An anchor-free detector for CPUs: objects as centre points (CenterNet style).

The image encoder's pyramid (a keras-hub backbone, as RetinaNet's) is merged top-down
into one map at stride ``model.center_stride`` (8: a 32 x 32 map for 256 px scenes) and
``model.center_width`` channels. Three small heads read it: a heatmap per class (is
an object of class c centred in this cell?), the box's log height and width in cells, and
the centre's offset inside its cell. No anchors, no matching: the target of each object
is a Gaussian bump at its centre cell, and the box is read where the heatmap peaks.

Reference: Zhou et al., "Objects as Points", 2019; the Gaussian's size follows TTFNet
(Liu et al., "Training-Time-Friendly Network for Real-Time Object Detection", AAAI 2020):
an elliptical bump with sigma = alpha x box side / 6.
"""

from __future__ import annotations

import keras
import numpy as np
import tensorflow as tf
from keras import layers, ops

from deeptasks.common import backbones

GAUSSIAN_ALPHA = 0.54  # TTFNet's sigma = alpha * side / 6
PRIOR = 0.1  # every cell starts at this heatmap probability (CenterNet's bias -2.19)
EXTRA = 5  # target channels after the classes: log h, log w, offset y, x, centre mask


def _conv(x, filters: int, kernel: int, name: str):
    x = layers.Conv2D(filters, kernel, padding="same", use_bias=False, name=f"{name}_conv")(x)
    x = layers.BatchNormalization(name=f"{name}_bn")(x)
    return layers.ReLU(name=f"{name}_relu")(x)


def build_centernet(model, num_classes: int, image_size: int) -> keras.Model:
    """Encoder pyramid -> one stride-``center_stride`` map -> ``[N, H, W, C + 4]``
    float32 output: class heatmap logits, log height and width (in cells), centre offset."""
    stride, width = model.center_stride, model.center_width
    encoder = backbones.image_encoder(model.backbone, model.backbone_preset, image_size)
    features, used = backbones.pyramid(encoder, image_size, stride, f"model.center_stride={stride}")
    images = keras.Input((image_size, image_size, 3), name="images")
    maps = features(images)
    maps = maps if isinstance(maps, list) else [maps]
    x = _conv(maps[-1], width, 1, f"lateral{used[-1]}")
    for s, feature in zip(reversed(used[:-1]), reversed(maps[:-1])):
        x = layers.UpSampling2D(2, interpolation="nearest", name=f"up{s}")(x)
        x = layers.Add(name=f"merge{s}")([x, _conv(feature, width, 1, f"lateral{s}")])
        x = _conv(x, width, 3, f"smooth{s}")
    outputs = []
    for head, channels, bias in (
        ("heatmap", num_classes, -np.log((1 - PRIOR) / PRIOR)),
        ("size", 2, 0.0),
        ("offset", 2, 0.0),
    ):
        h = _conv(x, width, 3, f"{head}_head")
        outputs.append(
            layers.Conv2D(
                channels,
                1,
                bias_initializer=keras.initializers.Constant(bias),
                name=head,
                dtype="float32",
            )(h)
        )
    output = layers.Concatenate(name="centernet", dtype="float32")(outputs)
    return keras.Model(images, output, name="centernet")


def centre_targets(boxes, labels, classes: int, size: int, stride: int):
    """``[H, W, C + 5]`` targets of corner ``boxes`` [n, 4] (pixels; padding has label
    -1): per class a Gaussian heatmap, exactly 1 at each object's centre cell and
    ``exp(-dy^2 / 2 sy^2 - dx^2 / 2 sx^2)`` around it (sigma = alpha x side / 6, in
    cells; the max where objects overlap); at the centre cells the log height and width
    in cells, the centre's offset in the cell, and a mask of 1."""
    valid = labels >= 0
    boxes, labels = tf.boolean_mask(boxes, valid), tf.boolean_mask(labels, valid)
    cells = size // stride
    extent = tf.maximum(boxes[:, 2:] - boxes[:, :2], 1.0) / stride  # h, w in cells
    centre = (boxes[:, :2] + boxes[:, 2:]) / 2.0 / stride
    cell = tf.clip_by_value(tf.cast(tf.floor(centre), tf.int32), 0, cells - 1)
    sigma = tf.maximum(GAUSSIAN_ALPHA * extent / 6.0, 0.25)
    grid = tf.cast(tf.range(cells), tf.float32)
    cell_f = tf.cast(cell, tf.float32)
    dy = (grid[None, :] - cell_f[:, :1]) / sigma[:, :1]  # [n, H]
    dx = (grid[None, :] - cell_f[:, 1:]) / sigma[:, 1:]  # [n, W]
    bumps = tf.exp(-0.5 * (dy[:, :, None] ** 2 + dx[:, None, :] ** 2))  # [n, H, W]
    per_class = bumps[..., None] * tf.one_hot(labels, classes)[:, None, None, :]
    heatmap = tf.reduce_max(tf.concat([tf.zeros([1, cells, cells, classes]), per_class], 0), 0)
    values = tf.concat([tf.math.log(extent), centre - cell_f, tf.ones_like(extent[:, :1])], axis=-1)
    regression = tf.tensor_scatter_nd_update(tf.zeros([cells, cells, EXTRA]), cell, values)
    return tf.concat([heatmap, regression], axis=-1)


@keras.saving.register_keras_serializable(package="deeptasks")
class CentreNetLoss(keras.losses.Loss):
    """CenterNet's loss per image: the penalty-reduced focal loss of the heatmap
    (alpha 2, beta 4) over the number of objects, plus L1 losses of the log size and the
    centre offset at the centre cells, weighted by ``size_weight`` and ``offset_weight``."""

    def __init__(self, num_classes: int, size_weight=1.0, offset_weight=1.0, **kwargs):
        super().__init__(**kwargs)
        self.num_classes = num_classes
        self.size_weight, self.offset_weight = size_weight, offset_weight

    def call(self, y_true, y_pred):
        c = self.num_classes
        truth = y_true[..., :c]
        p = ops.clip(ops.sigmoid(y_pred[..., :c]), 1e-4, 1 - 1e-4)
        centre = ops.cast(truth >= 1.0, "float32")
        focal = centre * ops.log(p) * ops.square(1 - p) + (1 - centre) * ops.log(
            1 - p
        ) * ops.square(p) * ops.power(1 - truth, 4)
        mask = y_true[..., c + 4]
        objects = ops.maximum(ops.sum(mask, axis=(1, 2)), 1.0)
        size = ops.sum(ops.abs(y_pred[..., c : c + 2] - y_true[..., c : c + 2]), axis=-1)
        offset = ops.sum(ops.abs(y_pred[..., c + 2 : c + 4] - y_true[..., c + 2 : c + 4]), -1)
        regression = self.size_weight * size + self.offset_weight * offset
        return (-ops.sum(focal, axis=(1, 2, 3)) + ops.sum(mask * regression, axis=(1, 2))) / objects

    def get_config(self):
        return {
            **super().get_config(),
            "num_classes": self.num_classes,
            "size_weight": self.size_weight,
            "offset_weight": self.offset_weight,
        }


def centre_boxes(output, num_classes: int, stride: int, peak_window: int = 3):
    """Raw output -> ``(boxes [N, H*W, 4] in pixels, scores [N, H*W, C])``: a cell's
    class scores are its heatmap probabilities where they are the maximum of their
    ``peak_window`` neighbourhood (CenterNet's peaks), else 0."""
    output = ops.convert_to_tensor(output)
    heat = ops.sigmoid(output[..., :num_classes])
    peaks = ops.max_pool(heat, peak_window, strides=1, padding="same")
    heat = heat * ops.cast(ops.equal(heat, peaks), heat.dtype)
    batch, height, width = ops.shape(output)[0], ops.shape(output)[1], ops.shape(output)[2]
    rows = ops.cast(ops.arange(height), "float32")[None, :, None]
    cols = ops.cast(ops.arange(width), "float32")[None, None, :]
    extent = ops.exp(output[..., num_classes : num_classes + 2])
    cy = (rows + output[..., num_classes + 2]) * stride
    cx = (cols + output[..., num_classes + 3]) * stride
    h, w = extent[..., 0] * stride, extent[..., 1] * stride
    corners = ops.stack([cy - h / 2, cx - w / 2, cy + h / 2, cx + w / 2], axis=-1)
    return ops.reshape(corners, (batch, -1, 4)), ops.reshape(heat, (batch, -1, num_classes))
