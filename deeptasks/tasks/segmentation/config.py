"""Semantic segmentation configs and presets."""

from __future__ import annotations

from dataclasses import dataclass

from deeptasks.config import RuntimeConfig, TaskConfig, TrainConfig, choice

# The mask value of pixels that count nowhere (unlabelled, object borders): the data
# writes it, the loss and the metrics skip it.
IGNORE_LABEL = 255


@dataclass
class DataConfig:
    # auto: scenes of tuxpaint stamps (apt) or, without apt, drawn shapes; stamps/shapes:
    # that kind of scene; folder: your images + PNG masks; voc: a VOC2012 devkit folder;
    # oxford_iiit_pet: tfds (internet the first time).
    source: str = choice("auto", "auto", "stamps", "shapes", "folder", "voc", "oxford_iiit_pet")
    image_dir: str = ""  # source=folder: the images
    mask_dir: str = ""  # source=folder: one PNG of class indices per image (same stem)
    class_names: tuple[str, ...] = ()  # source=folder: names, background first ("" = numbers)
    voc_dir: str = ""  # source=voc: the VOC2012 folder (JPEGImages, SegmentationClass, ...)
    tfds_data_dir: str = ""  # source=oxford_iiit_pet: where tfds keeps (or finds) the data
    scene_seed: int = 0  # the corpus seed: fixes the validation and test scenes
    val_images: int = 64
    test_images: int = 300  # the first N test scenes (or user/tfds test images); 0 = all
    image_size: int = 128  # model input side; images are resized to it (masks: nearest)
    # training augmentation, the same geometry for image and mask
    flip: bool = True  # random left-right flip
    crop_scale: tuple[float, float] = (0.6, 1.0)  # random square crop side / shorter side
    shuffle_buffer: int = 256  # user images (scenes are fresh every step)


@dataclass
class ModelConfig:
    name: str = "unet"  # unet | fcn | deeplabv3plus
    filters: int = 16  # unet/fcn: first-level width (doubles per level)
    depth: int = 4  # unet: down-sampling steps
    # deeplabv3plus: a keras-hub image encoder by name, or from a keras-hub preset
    backbone: str = choice("resnet_tiny", "resnet_tiny", "resnet18", "resnet50")
    backbone_preset: str = ""  # a keras-hub preset name or a local preset folder
    pyramid_level: str = choice("P4", "P3", "P4", "P5")  # the ASPP's input (1/16 at P4)
    dilation_rates: tuple[int, ...] = (2, 4, 6)  # ASPP rates, sized for 8 x 8 P4 maps
    head_epochs: int = 0  # first epochs with the backbone frozen (fine-tuning a preset)
    backbone_lr_scale: float = 0.1  # after them, the backbone learns at this x the rate


def _config(preset: str, data: DataConfig, model: ModelConfig, train: TrainConfig) -> TaskConfig:
    return TaskConfig("segmentation", preset, data, model, train, RuntimeConfig())


def smoke() -> TaskConfig:
    """Seconds on a CPU: drawn shapes on the bundled photos, a narrow U-Net, 64 px."""
    return _config(
        "smoke",
        DataConfig(source="shapes", val_images=4, test_images=4, image_size=64),
        ModelConfig(filters=4, depth=3),
        TrainConfig(epochs=2, steps_per_epoch=2, batch_size=4, learning_rate=1e-3),
    )


def default() -> TaskConfig:
    """The README run: DeepLabV3+ (resnet_tiny encoder to P4) on 128 px scenes, a few CPU
    minutes (the U-Net of earlier versions: ``--model unet``)."""
    return _config(
        "default",
        DataConfig(),
        ModelConfig(name="deeplabv3plus"),
        TrainConfig(epochs=8, steps_per_epoch=50, batch_size=16, learning_rate=2e-3),
    )


def benchmark() -> TaskConfig:
    """The quality table (<= 30 CPU-minutes per model): the default preset's model for
    2,800 steps with the Dice term added to the loss."""
    return _config(
        "benchmark",
        DataConfig(),
        ModelConfig(name="deeplabv3plus"),
        TrainConfig(
            epochs=28, steps_per_epoch=100, batch_size=16, learning_rate=2e-3, loss="dice_ce"
        ),
    )


PRESETS = {"smoke": smoke, "default": default, "benchmark": benchmark}
