"""Losses that are not in Keras, registered so that saved models load with ``safe_mode``."""

from __future__ import annotations

import keras
from keras import ops

from deeptasks.common.boxes import iou


@keras.saving.register_keras_serializable(package="deeptasks")
def half_sum_squared_error(y_true, y_pred):
    """DnCNN's loss per sample: ``1/2 * ||y_pred - y_true||^2`` summed over pixels and
    channels (Keras then averages over the batch, the paper's ``1/(2N) sum``).

    With residual learning the model outputs ``y - R(y)``, so this equals
    ``1/2 * ||R(y) - (y - x)||^2``: the residual is trained to be the noise.
    """
    return 0.5 * ops.sum(ops.square(y_pred - y_true), axis=tuple(range(1, len(y_pred.shape))))


def asymmetric_squared_error(sigma_true, sigma_pred, alpha: float):
    """CBDNet's asymmetric loss per pixel: ``|alpha - 1[sigma_pred < sigma_true]| * err^2``.

    With ``alpha < 0.5`` an under-estimated noise level costs ``(1 - alpha) / alpha``
    times more than an over-estimate of the same size: a non-blind denoiser given too low
    a level leaves noise in, given too high a level only smooths a little more.
    """
    error = sigma_pred - sigma_true
    under = ops.cast(error < 0, error.dtype)
    return ops.abs(alpha - under) * ops.square(error)


def total_variation_squared(maps):
    """``||grad_h maps||^2 + ||grad_v maps||^2`` per pixel (mean over positions)."""
    horizontal = ops.square(maps[:, :, 1:, :] - maps[:, :, :-1, :])
    vertical = ops.square(maps[:, 1:, :, :] - maps[:, :-1, :, :])
    return ops.mean(horizontal, axis=(1, 2, 3)) + ops.mean(vertical, axis=(1, 2, 3))


@keras.saving.register_keras_serializable(package="deeptasks")
class NoiseMapLoss(keras.losses.Loss):
    """CBDNet's loss on the estimated noise-level map:
    ``asymmetric_weight * L_asymm + tv_weight * L_TV`` (means over pixels, per sample).

    Args:
        alpha: asymmetry; ``< 0.5`` penalises under-estimation more (paper: 0.3).
        asymmetric_weight: ``lambda_asymm`` (paper: 0.5).
        tv_weight: ``lambda_TV``, smoothness of the map (paper: 0.05).

    Reference:
        Guo et al., "Toward Convolutional Blind Denoising of Real Photographs", CVPR 2019.
    """

    def __init__(
        self,
        alpha: float = 0.3,
        asymmetric_weight: float = 0.5,
        tv_weight: float = 0.05,
        name: str = "noise_map_loss",
        **kwargs,
    ):
        super().__init__(name=name, **kwargs)
        self.alpha = alpha
        self.asymmetric_weight = asymmetric_weight
        self.tv_weight = tv_weight

    def call(self, y_true, y_pred):
        asymmetric = asymmetric_squared_error(y_true, y_pred, self.alpha)
        return self.asymmetric_weight * ops.mean(
            asymmetric, axis=(1, 2, 3)
        ) + self.tv_weight * total_variation_squared(y_pred)

    def get_config(self):
        return {
            **super().get_config(),
            "alpha": self.alpha,
            "asymmetric_weight": self.asymmetric_weight,
            "tv_weight": self.tv_weight,
        }


@keras.saving.register_keras_serializable(package="deeptasks")
class YoloGridLoss(keras.losses.Loss):
    """YOLO v1's sum-squared loss on an ``S x S`` grid.

    ``y_pred`` is the raw ``[N, S, S, B*5 + C]`` output (per box: confidence, centre y, x
    in the cell, sqrt height, sqrt width - all through a sigmoid here - then the class
    logits); ``y_true`` is ``[N, S, S, 5 + C]`` (objectness, centre offset, sqrt size,
    one-hot class; see ``detection.data.grid_targets``). Of a cell's B boxes, the one
    with the highest IoU with the cell's object is "responsible" for it:

        lambda_coord * sum_resp [(y - y^)^2 + (x - x^)^2
                                 + (sqrt h - sqrt h^)^2 + (sqrt w - sqrt w^)^2]
        + sum_resp (C - IoU)^2 + lambda_noobj * sum_not_resp C^2
        + sum_cells_with_object sum_c (p(c) - p^(c))^2

    Args:
        boxes_per_cell: B.
        coord_weight: lambda_coord (the paper: 5).
        noobj_weight: lambda_noobj (the paper: 0.5).

    Reference:
        Redmon et al., "You Only Look Once: Unified, Real-Time Object Detection", CVPR 2016.
    """

    def __init__(self, boxes_per_cell=2, coord_weight=5.0, noobj_weight=0.5, **kwargs):
        super().__init__(**kwargs)
        self.boxes_per_cell = boxes_per_cell
        self.coord_weight = coord_weight
        self.noobj_weight = noobj_weight

    def call(self, y_true, y_pred):
        boxes = self.boxes_per_cell
        shape = ops.shape(y_pred)
        pred_boxes = ops.sigmoid(ops.reshape(y_pred[..., : boxes * 5], (*shape[:3], boxes, 5)))
        class_prob = ops.softmax(y_pred[..., boxes * 5 :], axis=-1)
        has_object = y_true[..., 0]
        true_geometry = y_true[..., 1:5]
        # Boxes in cell units (offsets) with sizes relative to the image: the IoU that
        # picks the responsible box needs only consistent units within a cell.
        grid = ops.cast(shape[1], "float32")

        def corners(geometry):
            centre = geometry[..., 0:2] / grid
            size = ops.square(geometry[..., 2:4])
            return ops.concatenate([centre - size / 2, centre + size / 2], axis=-1)

        overlap = iou(corners(pred_boxes[..., 1:5]), corners(true_geometry)[..., None, :])[..., 0]
        responsible = ops.one_hot(ops.argmax(overlap, axis=-1), boxes) * has_object[..., None]
        geometry_error = ops.sum(
            ops.square(pred_boxes[..., 1:5] - true_geometry[..., None, :]), axis=-1
        )
        confidence = pred_boxes[..., 0]
        coord = self.coord_weight * ops.sum(responsible * geometry_error, axis=(1, 2, 3))
        obj = ops.sum(
            responsible * ops.square(confidence - ops.stop_gradient(overlap)), axis=(1, 2, 3)
        )
        noobj = self.noobj_weight * ops.sum(
            (1 - responsible) * ops.square(confidence), axis=(1, 2, 3)
        )
        classes = ops.sum(
            has_object[..., None] * ops.square(class_prob - y_true[..., 5:]), axis=(1, 2, 3)
        )
        return coord + obj + noobj + classes

    def get_config(self):
        return {
            **super().get_config(),
            "boxes_per_cell": self.boxes_per_cell,
            "coord_weight": self.coord_weight,
            "noobj_weight": self.noobj_weight,
        }


@keras.saving.register_keras_serializable(package="deeptasks")
class CTCLoss(keras.losses.Loss):
    """Connectionist temporal classification loss per utterance.

    ``y_true`` is ``[B, L]`` label ids padded with ``blank`` (which is never a label, so
    each utterance's length is its count of non-blank ids); ``y_pred`` is ``[B, T, C]``
    logits, every frame counted (padded audio at the end is learnt as blank).

    Reference:
        Graves et al., "Connectionist Temporal Classification: Labelling Unsegmented
        Sequence Data with Recurrent Neural Networks", ICML 2006.
    """

    def __init__(self, blank: int = 0, name: str = "ctc", **kwargs):
        super().__init__(name=name, **kwargs)
        self.blank = blank

    def call(self, y_true, y_pred):
        y_true = ops.cast(y_true, "int32")
        target_length = ops.sum(ops.cast(ops.not_equal(y_true, self.blank), "int32"), axis=1)
        batch, frames = ops.shape(y_pred)[0], ops.shape(y_pred)[1]
        output_length = ops.full((batch,), frames, dtype="int32")
        return ops.ctc_loss(y_true, y_pred, target_length, output_length, mask_index=self.blank)

    def get_config(self):
        return super().get_config() | {"blank": self.blank}


@keras.saving.register_keras_serializable(package="deeptasks")
class DiceCrossEntropy(keras.losses.Loss):
    """Per-pixel cross-entropy plus ``dice_weight`` x the soft Dice loss averaged over
    classes, for segmentation where background swamps the object classes.

    ``y_true`` is ``[B, H, W]`` class indices (``ignore_class`` pixels count nowhere);
    ``y_pred`` is ``[B, H, W, C]`` logits. The Dice term is taken over the whole batch
    (per class: 1 - (2 sum p*y + 1) / (sum p + sum y + 1)), which keeps small objects from
    making it noisy; a class absent from truth and prediction scores about 0 loss.

    Reference:
        Milletari, Navab and Ahmadi, "V-Net: Fully Convolutional Neural Networks for
        Volumetric Medical Image Segmentation", 3DV 2016.
    """

    def __init__(
        self, ignore_class: int = 255, dice_weight: float = 1.0, name: str = "dice_ce", **kwargs
    ):
        super().__init__(name=name, **kwargs)
        self.ignore_class = ignore_class
        self.dice_weight = dice_weight

    def call(self, y_true, y_pred):
        y_true = ops.cast(y_true, "int32")
        if len(y_true.shape) == len(y_pred.shape):
            y_true = ops.squeeze(y_true, -1)
        valid = ops.cast(ops.not_equal(y_true, self.ignore_class), y_pred.dtype)
        labels = ops.where(ops.equal(y_true, self.ignore_class), 0, y_true)
        classes = ops.shape(y_pred)[-1]
        onehot = ops.one_hot(labels, classes, dtype=y_pred.dtype) * valid[..., None]
        log_probs = ops.log_softmax(y_pred, axis=-1)
        pixels = ops.maximum(ops.sum(valid, axis=(1, 2)), 1.0)
        cross_entropy = -ops.sum(onehot * log_probs, axis=(1, 2, 3)) / pixels
        probs = ops.exp(log_probs) * valid[..., None]
        overlap = ops.sum(probs * onehot, axis=(0, 1, 2))
        total = ops.sum(probs, axis=(0, 1, 2)) + ops.sum(onehot, axis=(0, 1, 2))
        dice = 1.0 - ops.mean((2.0 * overlap + 1.0) / (total + 1.0))
        return cross_entropy + self.dice_weight * dice

    def get_config(self):
        return super().get_config() | {
            "ignore_class": self.ignore_class,
            "dice_weight": self.dice_weight,
        }
