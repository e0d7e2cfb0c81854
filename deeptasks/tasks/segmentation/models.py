"""Segmentation models: FCN-8s (the simple reference), U-Net and keras-hub's DeepLabV3+.

All take ImageNet-normalised ``[N, S, S, 3]`` images (``data.normalise``) and return
per-pixel class logits ``[N, S, S, C]`` in float32 (class 0 = background). Builders take
their config and the task's facts (``num_classes``, ``image_size``).
"""

from __future__ import annotations

import keras
from keras import layers

from deeptasks.common import backbones, finetune
from deeptasks.common.losses import DiceCrossEntropy
from deeptasks.errors import UserError
from deeptasks.tasks.base import ModelSpec, model_spec
from deeptasks.tasks.segmentation.config import IGNORE_LABEL, ModelConfig

# train.loss: "default" is the cross-entropy; "dice_ce" adds the soft Dice loss.
LOSSES = ("default", "cross_entropy", "dice_ce")


def _conv_block(x, filters: int, name: str, convs: int = 2):
    """``convs`` x (3x3 conv, batch norm, ReLU)."""
    for index in range(convs):
        x = layers.Conv2D(filters, 3, padding="same", use_bias=False, name=f"{name}_conv{index}")(x)
        x = layers.BatchNormalization(name=f"{name}_bn{index}")(x)
        x = layers.ReLU(name=f"{name}_relu{index}")(x)
    return x


def build_fcn(model: ModelConfig, num_classes: int, image_size: int) -> keras.Model:
    """FCN-8s, small and from scratch: five conv stages each halving the image (VGG's
    layout at ``filters`` x (1, 2, 4, 8, 8) channels), class scores at 1/32, then
    transposed-convolution upsampling x2 fused with the scores of pool4 (1/16), x2 fused
    with those of pool3 (1/8), and x8 back to the input size.

    Reference: Long, Shelhamer and Darrell, "Fully Convolutional Networks for Semantic
    Segmentation", CVPR 2015."""
    size, width, classes = image_size, model.filters, num_classes
    images = keras.Input((size, size, 3), name="images")
    x, pools = images, []
    for stage, factor in enumerate((1, 2, 4, 8, 8)):
        x = _conv_block(x, width * factor, f"stage{stage}", convs=1 if stage < 2 else 2)
        x = layers.MaxPooling2D(2, name=f"pool{stage + 1}")(x)
        pools.append(x)
    x = _conv_block(x, width * 16, "fc", convs=1)  # FCN's convolutionalised fc6/fc7
    score = layers.Conv2D(classes, 1, name="score32")(x)
    for source, name in ((pools[3], "16"), (pools[2], "8")):
        score = layers.Conv2DTranspose(classes, 4, strides=2, padding="same", name=f"up{name}")(
            score
        )
        skip = layers.Conv2D(classes, 1, name=f"score{name}")(source)
        score = layers.Add(name=f"fuse{name}")([score, skip])
    logits = layers.Conv2DTranspose(
        classes, 16, strides=8, padding="same", name="up1", dtype="float32"
    )(score)
    return keras.Model(images, logits, name="fcn8s")


def build_unet(model: ModelConfig, num_classes: int, image_size: int) -> keras.Model:
    """U-Net: ``depth`` levels of two conv-BN-ReLU and 2x2 max pooling (``filters``
    doubling per level), a bottleneck, and a decoder of 2x2 transposed convolutions whose
    output is concatenated with the encoder features of the same size (skip connections).

    Reference: Ronneberger, Fischer and Brox, "U-Net: Convolutional Networks for
    Biomedical Image Segmentation", MICCAI 2015."""
    size, width, depth = image_size, model.filters, model.depth
    images = keras.Input((size, size, 3), name="images")
    x, skips = images, []
    for level in range(depth):
        x = _conv_block(x, width * 2**level, f"down{level}")
        skips.append(x)
        x = layers.MaxPooling2D(2, name=f"pool{level}")(x)
    x = _conv_block(x, width * 2**depth, "bottleneck")
    for level in reversed(range(depth)):
        x = layers.Conv2DTranspose(width * 2**level, 2, strides=2, name=f"up{level}")(x)
        x = layers.Concatenate(name=f"skip{level}")([x, skips[level]])
        x = _conv_block(x, width * 2**level, f"dec{level}")
    logits = layers.Conv2D(num_classes, 1, name="logits", dtype="float32")(x)
    return keras.Model(images, logits, name="unet")


def build_deeplabv3plus(model: ModelConfig, num_classes: int, image_size: int) -> keras.Model:
    """keras-hub's DeepLabV3+: a ResNet image encoder (by name, or a keras-hub preset for
    fine-tuning), atrous spatial pyramid pooling on ``model.pyramid_level``, and the
    decoder that fuses the upsampled ASPP output with the 1/4-scale (P2) features.

    Reference: Chen et al., "Encoder-Decoder with Atrous Separable Convolution for
    Semantic Image Segmentation", ECCV 2018."""
    import keras_hub

    size, level = image_size, int(model.pyramid_level[1:])
    # A named ResNet is built only up to the ASPP's level (stage k gives P(k+1)); the
    # stages after it would be carried and never get a gradient.
    encoder = backbones.image_encoder(model.backbone, model.backbone_preset, size, level - 1)
    backbone = keras_hub.models.DeepLabV3Backbone(
        image_encoder=encoder,
        spatial_pyramid_pooling_key=model.pyramid_level,
        upsampling_size=2 ** (level - 2),  # ASPP output up to P2's 1/4 scale
        dilation_rates=list(model.dilation_rates),
        low_level_feature_key="P2",
        image_shape=(size, size, 3),
    )
    return keras_hub.models.DeepLabV3ImageSegmenter(
        backbone=backbone, num_classes=num_classes, name="deeplabv3plus"
    )


def backbone_variables(model: keras.Model) -> list:
    """The pretrained part a fine-tune freezes first: DeepLabV3+'s image encoder."""
    return list(model.backbone.image_encoder.trainable_variables)


def make_loss(name: str) -> keras.losses.Loss:
    if name not in LOSSES:
        raise UserError(f"train.loss must be one of {', '.join(LOSSES)}; got '{name}'")
    if name == "dice_ce":
        return DiceCrossEntropy(ignore_class=IGNORE_LABEL)
    return keras.losses.SparseCategoricalCrossentropy(from_logits=True, ignore_class=IGNORE_LABEL)


def compile_model(model: keras.Model, cfg) -> None:
    """Per-pixel cross-entropy on logits, optionally plus the soft Dice loss (ignored
    pixels, 255, count nowhere); Keras' MeanIoU (``miou``, from a confusion matrix over
    each epoch) and pixel accuracy. Adam can hold a pretrained backbone back."""
    loss = make_loss(cfg.train.loss)
    optimizer = finetune.group_optimizer(model, cfg, model_spec(cfg).backbone_variables)
    classes = model.output_shape[-1]
    model.compile(
        optimizer=optimizer,
        loss=loss,
        metrics=[
            keras.metrics.MeanIoU(
                classes, name="miou", ignore_class=IGNORE_LABEL, sparse_y_pred=False
            ),
            keras.metrics.SparseCategoricalAccuracy(name="pixel_accuracy"),
        ],
        jit_compile=cfg.runtime.jit_compile,
    )


MODELS = {
    "unet": ModelSpec("unet", build_unet, "U-Net with transposed-conv decoder and skips"),
    "fcn": ModelSpec("fcn", build_fcn, "FCN-8s, small, from scratch (the simple reference)"),
    "deeplabv3plus": ModelSpec(
        "deeplabv3plus",
        build_deeplabv3plus,
        "keras-hub DeepLabV3+ on a ResNet encoder",
        backbone_variables=backbone_variables,
    ),
}
