"""keras-hub image encoders shared by the vision tasks: a ResNet by name (randomly
initialised) or any keras-hub preset (a hub name or a local ``save_to_preset`` folder,
with its weights) for fine-tuning."""

from __future__ import annotations

from deeptasks.common import hub
from deeptasks.errors import UserError

# Named image encoders (keras-hub ResNetBackbone configs, randomly initialised).
ENCODERS = {
    # A narrow ResNet-10 for CPUs: one basic block per stage.
    "resnet_tiny": dict(
        input_conv_filters=[64],
        input_conv_kernel_sizes=[3],
        stackwise_num_filters=[64, 64, 128, 128],
        stackwise_num_blocks=[1, 1, 1, 1],
        stackwise_num_strides=[1, 2, 2, 2],
        block_type="basic_block",
    ),
    "resnet18": dict(
        input_conv_filters=[64],
        input_conv_kernel_sizes=[7],
        stackwise_num_filters=[64, 128, 256, 512],
        stackwise_num_blocks=[2, 2, 2, 2],
        stackwise_num_strides=[1, 2, 2, 2],
        block_type="basic_block",
    ),
    "resnet50": dict(
        input_conv_filters=[64],
        input_conv_kernel_sizes=[7],
        stackwise_num_filters=[64, 128, 256, 512],
        stackwise_num_blocks=[3, 4, 6, 3],
        stackwise_num_strides=[1, 2, 2, 2],
        block_type="bottleneck_block",
    ),
}


def image_encoder(backbone: str, preset: str, image_size: int, stages: int = 0):
    """The image encoder for ``image_size`` square inputs (0: any size): from ``preset``
    (a keras-hub preset name or local folder, with its weights) when given, else the
    ResNet named ``backbone``, freshly initialised, with only its first ``stages`` stages
    (0: all)."""
    import keras_hub

    shape = (image_size or None, image_size or None, 3)
    if preset:
        return hub.from_preset(keras_hub.models.Backbone, preset, "backbone", image_shape=shape)
    if backbone not in ENCODERS:
        raise UserError(f"unknown backbone '{backbone}'; valid: {', '.join(ENCODERS)}")
    config = dict(ENCODERS[backbone])
    if stages:
        for key in ("stackwise_num_filters", "stackwise_num_blocks", "stackwise_num_strides"):
            config[key] = config[key][:stages]
    return keras_hub.models.ResNetBackbone(**config, image_shape=shape)


def pyramid(encoder, image_size: int, min_stride: int, what: str):
    """``(model, strides)``: a model named ``encoder_pyramid`` from images to the
    encoder's feature maps at strides ``min_stride`` and coarser (finest first), and those
    strides. ``what`` names the setting that chose ``min_stride`` in the error when the
    encoder has no map at that stride."""
    import keras

    maps = {image_size // int(v.shape[1]): v for v in encoder.pyramid_outputs.values()}
    strides = sorted(s for s in maps if s >= min_stride)
    if not strides or strides[0] != min_stride:
        raise UserError(
            f"{what}: the encoder's feature maps have strides "
            f"{', '.join(map(str, sorted(maps)))}; choose one of them"
        )
    outputs = [maps[s] for s in strides]
    return keras.Model(encoder.inputs, outputs, name="encoder_pyramid"), strides


def pyramid_variables(model) -> list:
    """The pretrained part a fine-tune freezes first: the encoder inside a model built on
    :func:`pyramid`."""
    return list(model.get_layer("encoder_pyramid").trainable_variables)
