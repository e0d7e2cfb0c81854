"""Detection models: a YOLO-style grid detector and keras-hub's RetinaNet.

Both take normalised ``[N, S, S, 3]`` images (``data.normalise``). :func:`detect` turns
either model's output into per-image ``(boxes, scores, labels)`` with boxes
``(y0, x0, y1, x1)`` in input pixels, after keras-hub's non-max suppression.
"""

from __future__ import annotations

import weakref

import keras
import numpy as np
from keras import layers, ops

from deeptasks.common import backbones
from deeptasks.common.backbones import ENCODERS  # noqa: F401 (tests and users name them here)
from deeptasks.errors import UserError
from deeptasks.tasks.base import ModelSpec


def num_classes(cfg) -> int:
    from deeptasks.tasks.detection.data import class_names

    return len(class_names(cfg))


# --- YOLO -----------------------------------------------------------------------------


def build_yolo(cfg) -> keras.Model:
    """Conv-BN-LeakyReLU stages, each halving the image, down to the S x S grid; a 1x1
    conv then predicts B boxes (confidence, y, x, sqrt h, sqrt w) and C class logits per
    cell: an ``S x S x (B*5 + C)`` output (float32).

    Reference: Redmon et al., "You Only Look Once", CVPR 2016."""
    size, grid, width = cfg.data.image_size, cfg.model.grid, cfg.model.width
    stages = int(np.log2(size // grid))
    if 2**stages * grid != size:
        raise UserError(f"model.grid={grid} must divide data.image_size={size} by a power of two")
    images = keras.Input((size, size, 3), name="images")
    x = images
    for stage in range(stages):
        filters = width * 2 ** min(stage, 4)
        for repeat in range(2 if stage >= 2 else 1):
            x = layers.Conv2D(
                filters, 3, padding="same", use_bias=False, name=f"conv{stage}_{repeat}"
            )(x)
            x = layers.BatchNormalization(name=f"bn{stage}_{repeat}")(x)
            x = layers.LeakyReLU(0.1, name=f"act{stage}_{repeat}")(x)
        x = layers.MaxPooling2D(2, name=f"pool{stage}")(x)
    x = layers.Conv2D(width * 16, 3, padding="same", activation="leaky_relu", name="head")(x)
    outputs = cfg.model.boxes_per_cell * 5 + num_classes(cfg)
    grid_out = layers.Conv2D(outputs, 1, name="grid", dtype="float32")(x)
    return keras.Model(images, grid_out, name="yolo")


def yolo_boxes(cfg, output):
    """Raw YOLO output -> ``(boxes [N, S*S*B, 4] in pixels, class scores [N, S*S*B, C])``
    with score = confidence x class probability, as YOLO ranks its detections."""
    boxes_per_cell, size = cfg.model.boxes_per_cell, cfg.data.image_size
    output = ops.convert_to_tensor(output)
    batch, grid = ops.shape(output)[0], ops.shape(output)[1]
    pred = ops.sigmoid(
        ops.reshape(output[..., : boxes_per_cell * 5], (batch, grid, grid, boxes_per_cell, 5))
    )
    probs = ops.softmax(output[..., boxes_per_cell * 5 :], axis=-1)
    cells = ops.cast(ops.arange(grid), "float32")
    cell_y = ops.reshape(cells, (1, grid, 1, 1))
    cell_x = ops.reshape(cells, (1, 1, grid, 1))
    cy = (cell_y + pred[..., 1]) / ops.cast(grid, "float32") * size
    cx = (cell_x + pred[..., 2]) / ops.cast(grid, "float32") * size
    h, w = ops.square(pred[..., 3]) * size, ops.square(pred[..., 4]) * size
    corners = ops.stack([cy - h / 2, cx - w / 2, cy + h / 2, cx + w / 2], axis=-1)
    scores = pred[..., 0:1] * probs[..., None, :]
    classes = ops.shape(probs)[-1]
    return ops.reshape(corners, (batch, -1, 4)), ops.reshape(scores, (batch, -1, classes))


# --- RetinaNet ------------------------------------------------------------------------


def image_encoder(cfg):
    """The backbone's image encoder: from ``model.backbone_preset`` (a keras-hub preset
    name or local folder, with its weights) or the named config, freshly initialised."""
    return backbones.image_encoder(
        cfg.model.backbone, cfg.model.backbone_preset, cfg.data.image_size
    )


def build_retinanet(cfg) -> keras.Model:
    """keras-hub's RetinaNet: image encoder, FPN (P``min_level``..P``max_level``),
    anchor generator, box matcher (every object gets at least its best anchor), focal
    loss and non-max suppression.

    Reference: Lin et al., "Focal Loss for Dense Object Detection", ICCV 2017."""
    import keras_hub
    from keras_hub.src.models.retinanet.retinanet_label_encoder import RetinaNetLabelEncoder

    model = cfg.model
    size = cfg.data.image_size
    encoder = image_encoder(cfg)
    backbone = keras_hub.models.RetinaNetBackbone(
        image_encoder=encoder,
        min_level=model.min_level,
        max_level=model.max_level,
        use_p5=False,
        image_shape=(size, size, 3),
    )
    anchors = keras_hub.layers.AnchorGenerator(
        "yxyx",
        min_level=model.min_level,
        max_level=model.max_level,
        num_scales=3,
        aspect_ratios=[0.5, 1.0, 2.0],
        anchor_size=model.anchor_size,
    )
    detector = keras_hub.models.RetinaNetObjectDetector(
        backbone=backbone,
        num_classes=num_classes(cfg),
        bounding_box_format="yxyx",
        anchor_generator=anchors,
        # The encoder's format must be the one decode_predictions assumes (center_xywh);
        # its own default (center_yxhw) would train targets the decoder misreads.
        label_encoder=RetinaNetLabelEncoder(
            anchors,
            bounding_box_format="yxyx",
            encoding_format="center_xywh",
            box_matcher_force_match_for_each_col=True,
        ),
        pre_logits_num_conv_layers=model.head_convs,
        prediction_decoder=keras_hub.layers.NonMaxSuppression(
            bounding_box_format="yxyx",
            from_logits=True,
            iou_threshold=model.nms_iou,
            confidence_threshold=model.score_threshold,
            max_detections=model.max_detections,
        ),
    )
    _paper_init(detector)
    return detector


def _paper_init(detector, prior: float = 0.01, seed: int = 0) -> None:
    """Initialise both heads' output convolutions as RetinaNet's paper does: kernels
    N(0, 0.01), class bias -log((1 - pi) / pi) so every anchor starts at probability
    ``prior``, box bias 0 so every box starts at its anchor.

    The prior bias keeps the many background anchors from swamping the focal loss at the
    start. keras-hub 0.32 puts it on the box head instead (``use_prior_probability=True``
    there) and draws the kernels with std 0.05: every class starts near p = 0.5 and every
    box at exp(-4.6) of its anchor. On a CPU budget the classifier never recovered from that
    (background anchors kept scoring above the objects)."""
    rng = np.random.default_rng(seed)
    for head, bias in (
        (detector.classification_head, -np.log((1 - prior) / prior)),
        (detector.box_head, 0.0),
    ):
        layer = head.prediction_layer
        layer.kernel.assign(rng.normal(0, 0.01, layer.kernel.shape).astype(np.float32))
        layer.bias.assign(np.full(layer.bias.shape, bias, np.float32))


def backbone_variables(model: keras.Model) -> list:
    """The pretrained part a fine-tune freezes first: RetinaNet's image encoder."""
    return list(model.backbone.image_encoder.trainable_variables)


# --- both -----------------------------------------------------------------------------


_DECODERS: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def _decoder(model: keras.Model, cfg):
    """``images -> {"boxes", "confidence", "labels", "num_detections"}`` as one
    ``tf.function`` per model, traced per batch size: keras-hub's non-max suppression
    needs a static batch size, which ``model.predict`` does not always give it."""
    import keras_hub
    import tensorflow as tf

    if model in _DECODERS:
        return _DECODERS[model]
    if cfg.model.name == "yolo":
        nms = keras_hub.layers.NonMaxSuppression(
            bounding_box_format="yxyx",
            from_logits=False,
            iou_threshold=cfg.model.nms_iou,
            confidence_threshold=cfg.model.score_threshold,
            max_detections=cfg.model.max_detections,
        )

        def run(images):
            return nms(*yolo_boxes(cfg, model(images, training=False)))
    else:

        def run(images):  # keras-hub RetinaNet: anchors + deltas -> boxes, then its NMS
            return model.decode_predictions(model(images, training=False), images)

    _DECODERS[model] = tf.function(run)
    return _DECODERS[model]


def detect(model: keras.Model, cfg, images: np.ndarray) -> list[tuple[np.ndarray, ...]]:
    """Per image ``(boxes [M, 4], scores [M], labels [M])`` of normalised ``images``."""
    result = _decoder(model, cfg)(np.asarray(images, np.float32))
    count = np.asarray(result["num_detections"])
    boxes = np.clip(np.asarray(result["boxes"], np.float32), 0, cfg.data.image_size)
    scores, labels = np.asarray(result["confidence"]), np.asarray(result["labels"])
    return [
        (
            boxes[i][: count[i]],
            scores[i][: count[i]].astype(np.float32),
            labels[i][: count[i]].astype(np.int32),
        )
        for i in range(len(count))
    ]


MODELS = {
    "retinanet": ModelSpec(
        "retinanet", build_retinanet, "keras-hub RetinaNet: ResNet encoder + FPN, focal loss"
    ),
    "yolo": ModelSpec("yolo", build_yolo, "YOLO v1-style S x S grid detector (the reference)"),
}
