"""Detection models: a YOLO-style grid detector and keras-hub's RetinaNet.

Both take normalised ``[N, S, S, 3]`` images (``data.normalise``) and are built from
their config and the task's facts (``num_classes``, ``image_size``). Each owns what is
its alone, in its :class:`ModelSpec`: its loss, its target encoding (from padded corner
boxes and labels), its decoding (``images -> {"boxes", "confidence", "labels",
"num_detections"}`` after non-max suppression) and, for RetinaNet, the backbone a
fine-tune trains later.
"""

from __future__ import annotations

import keras
import numpy as np
import tensorflow as tf
from keras import layers, ops

from deeptasks.common import backbones, finetune
from deeptasks.common.backbones import ENCODERS  # noqa: F401 (tests and users name them here)
from deeptasks.common.losses import YoloGridLoss
from deeptasks.errors import UserError
from deeptasks.tasks.base import ModelSpec, model_spec
from deeptasks.tasks.detection import centernet, data
from deeptasks.tasks.detection.config import ModelConfig

# --- YOLO -----------------------------------------------------------------------------


def build_yolo(model: ModelConfig, num_classes: int, image_size: int) -> keras.Model:
    """YOLO v1's S x S grid head on the shared image encoder: the encoder's feature map
    at stride ``image_size / grid``, a 3x3 conv ``width`` channels wide (BN, LeakyReLU
    0.1), then a 1x1 conv predicting B boxes (confidence, y, x, sqrt h, sqrt w) and C
    class logits per cell: an ``S x S x (B*5 + C)`` output (float32).

    The paper's own 24-layer backbone is not used: on 256 px scenes a 32-wide version
    of it costs 3.2 G multiply-adds a scene against resnet_tiny's 0.5 G, so at the same
    CPU budget it saw a sixth of the scenes (see the task page). On the same encoder as
    the other detectors, the grid head and its loss are what is compared.

    Reference: Redmon et al., "You Only Look Once", CVPR 2016."""
    grid, stride = model.grid, image_size // max(model.grid, 1)
    if grid < 1 or stride * grid != image_size:
        raise UserError(f"model.grid={grid} must divide data.image_size={image_size}")
    encoder = backbones.image_encoder(model.backbone, model.backbone_preset, image_size)
    features, _ = backbones.pyramid(encoder, image_size, stride, f"model.grid={grid}")
    images = keras.Input((image_size, image_size, 3), name="images")
    maps = features(images)
    x = maps[0] if isinstance(maps, list) else maps
    x = layers.Conv2D(model.width, 3, padding="same", use_bias=False, name="head_conv")(x)
    x = layers.BatchNormalization(name="head_bn")(x)
    x = layers.LeakyReLU(0.1, name="head_act")(x)
    outputs = model.boxes_per_cell * 5 + num_classes
    grid_out = layers.Conv2D(outputs, 1, name="grid", dtype="float32")(x)
    return keras.Model(images, grid_out, name="yolo")


def yolo_boxes(model: ModelConfig, image_size: int, output):
    """Raw YOLO output -> ``(boxes [N, S*S*B, 4] in pixels, class scores [N, S*S*B, C])``
    with score = confidence x class probability, as YOLO ranks its detections."""
    boxes_per_cell, size = model.boxes_per_cell, image_size
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


def grid_targets(boxes, labels, grid: int, classes: int, size: int):
    """YOLO's target ``[S, S, 5 + C]``: at the cell holding a box's centre, objectness 1,
    the centre's offset in the cell (y, x in [0, 1]), the square roots of the box's height
    and width as fractions of the image, and the one-hot class. A cell keeps one box
    (the last), as in YOLO v1."""
    valid = labels >= 0
    boxes, labels = tf.boolean_mask(boxes, valid), tf.boolean_mask(labels, valid)
    centre = (boxes[:, :2] + boxes[:, 2:]) / 2.0 / size * grid
    cell = tf.clip_by_value(tf.cast(tf.floor(centre), tf.int32), 0, grid - 1)
    offset = centre - tf.cast(cell, tf.float32)
    extent = tf.sqrt(tf.maximum(boxes[:, 2:] - boxes[:, :2], 0.0) / size)
    values = tf.concat(
        [tf.ones_like(offset[:, :1]), offset, extent, tf.one_hot(labels, classes)], axis=-1
    )
    return tf.tensor_scatter_nd_update(tf.zeros([grid, grid, 5 + classes]), cell, values)


def yolo_targets(model: ModelConfig, num_classes: int, image_size: int):
    """``(boxes, labels) -> [S, S, 5 + C]`` grid targets (:func:`grid_targets`)."""
    return lambda boxes, labels: grid_targets(boxes, labels, model.grid, num_classes, image_size)


def yolo_loss(cfg) -> dict:
    """YOLO v1's sum-squared loss, coordinates weighted by lambda_coord, empty cells by
    lambda_noobj."""
    m = cfg.model
    return {"loss": YoloGridLoss(m.boxes_per_cell, m.coord_weight, m.noobj_weight)}


def _nms(model_cfg: ModelConfig, from_logits: bool):
    """keras-hub's non-max suppression with the config's thresholds."""
    import keras_hub

    return keras_hub.layers.NonMaxSuppression(
        bounding_box_format="yxyx",
        from_logits=from_logits,
        iou_threshold=model_cfg.nms_iou,
        confidence_threshold=model_cfg.score_threshold,
        max_detections=model_cfg.max_detections,
    )


def yolo_decoder(model: keras.Model, model_cfg: ModelConfig, image_size: int):
    """``images -> detections`` of a YOLO grid: confidence x class probability scores,
    then keras-hub's non-max suppression."""
    nms = _nms(model_cfg, from_logits=False)
    return lambda images: nms(*yolo_boxes(model_cfg, image_size, model(images, training=False)))


# --- CenterNet (anchor-free, centernet.py) ----------------------------------------------


def centernet_targets(model: ModelConfig, num_classes: int, image_size: int):
    """``(boxes, labels) -> [H, W, C + 5]`` centre heatmaps and box targets."""
    stride = model.center_stride
    return lambda boxes, labels: centernet.centre_targets(
        boxes, labels, num_classes, image_size, stride
    )


def centernet_loss(cfg) -> dict:
    """CenterNet's focal heatmap loss and L1 size and offset losses."""
    m = cfg.model
    classes = len(data.class_names(cfg))
    return {"loss": centernet.CentreNetLoss(classes, m.size_weight, m.offset_weight)}


def centernet_decoder(model: keras.Model, model_cfg: ModelConfig, image_size: int):
    """``images -> detections``: heatmap peaks with their boxes, then keras-hub's
    non-max suppression (boxes of neighbouring peaks that overlap)."""
    nms = _nms(model_cfg, from_logits=False)
    classes = model.output_shape[-1] - 4
    stride = model_cfg.center_stride

    def decode(images):
        return nms(*centernet.centre_boxes(model(images, training=False), classes, stride))

    return decode


# --- RetinaNet ------------------------------------------------------------------------


def build_retinanet(model: ModelConfig, num_classes: int, image_size: int) -> keras.Model:
    """keras-hub's RetinaNet: image encoder, FPN (P``min_level``..P``max_level``),
    anchor generator, box matcher (every object gets at least its best anchor), focal
    loss and non-max suppression.

    Reference: Lin et al., "Focal Loss for Dense Object Detection", ICCV 2017."""
    import keras_hub
    from keras_hub.src.models.retinanet.retinanet_label_encoder import RetinaNetLabelEncoder

    size = image_size
    encoder = backbones.image_encoder(model.backbone, model.backbone_preset, size)
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
        num_classes=num_classes,
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


def retinanet_targets(model: ModelConfig, num_classes: int, image_size: int):
    """What keras-hub's ``RetinaNetObjectDetector`` takes: boxes and labels padded with -1
    (its own label encoder matches them to anchors inside ``compute_loss``)."""
    return lambda boxes, labels: {"boxes": boxes, "labels": tf.cast(labels, tf.float32)}


def retinanet_loss(cfg) -> dict:
    """Nothing to pass: keras-hub's RetinaNet computes smooth-L1 box and focal
    classification losses itself (``compute_loss``)."""
    return {}


def retinanet_decoder(model: keras.Model, model_cfg: ModelConfig, image_size: int):
    """``images -> detections``: anchors + deltas -> boxes, then the model's own NMS."""
    return lambda images: model.decode_predictions(model(images, training=False), images)


def compile_model(model: keras.Model, cfg) -> None:
    """The model's own loss, with Adam that can hold a pretrained backbone back
    (:mod:`deeptasks.common.finetune`)."""
    spec = model_spec(cfg)
    optimizer = finetune.group_optimizer(model, cfg, spec.backbone_variables)
    model.compile(optimizer=optimizer, jit_compile=cfg.runtime.jit_compile, **spec.loss(cfg))


MODELS = {
    "retinanet": ModelSpec(
        "retinanet",
        build_retinanet,
        "keras-hub RetinaNet: ResNet encoder + FPN, focal loss",
        loss=retinanet_loss,
        encode_targets=retinanet_targets,
        decode=retinanet_decoder,
        backbone_variables=backbone_variables,
    ),
    "centernet": ModelSpec(
        "centernet",
        centernet.build_centernet,
        "anchor-free CenterNet: encoder pyramid to one stride-8 map, centre heatmaps",
        loss=centernet_loss,
        encode_targets=centernet_targets,
        decode=centernet_decoder,
        backbone_variables=backbones.pyramid_variables,
    ),
    "yolo": ModelSpec(
        "yolo",
        build_yolo,
        "YOLO v1's S x S grid head and loss on the shared encoder (the reference)",
        loss=yolo_loss,
        encode_targets=yolo_targets,
        decode=yolo_decoder,
        backbone_variables=backbones.pyramid_variables,
    ),
}
