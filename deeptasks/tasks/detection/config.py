"""Detection configs and presets."""

from __future__ import annotations

from dataclasses import dataclass

from deeptasks.config import RuntimeConfig, TaskConfig, TrainConfig, choice


@dataclass
class DataConfig:
    # auto: scenes of tuxpaint stamps (apt) or, without apt, drawn shapes; stamps/shapes:
    # that kind of scene; coco: your COCO-format JSON + image folder; voc/coco2017: tfds.
    source: str = choice("auto", "auto", "stamps", "shapes", "coco", "voc", "coco2017")
    coco_json: str = ""  # source=coco: the annotation file
    image_dir: str = ""  # source=coco: the folder its file_names are relative to
    tfds_data_dir: str = ""  # source=voc/coco2017: where tfds keeps (or finds) the data
    scene_seed: int = 0  # the corpus seed: fixes the validation and test scenes
    val_images: int = 64
    test_images: int = 300  # the first N test scenes (or user/tfds test images); 0 = all
    image_size: int = 256  # model input side; scenes are drawn at 256, others letterboxed
    max_boxes: int = 16  # ground-truth boxes kept per image (padded with -1)


@dataclass
class ModelConfig:
    name: str = "retinanet"  # retinanet | centernet | yolo
    # yolo: an S x S grid (on the encoder's map at stride image_size / S), B boxes per
    # cell, a 3x3 conv head `width` channels wide
    grid: int = 8
    boxes_per_cell: int = 2
    width: int = 128
    coord_weight: float = 5.0  # YOLO's lambda_coord
    noobj_weight: float = 0.5  # YOLO's lambda_noobj
    # every model: a keras-hub image encoder by name, or from a keras-hub preset
    backbone: str = choice("resnet_tiny", "resnet_tiny", "resnet18", "resnet50")
    backbone_preset: str = ""  # a keras-hub preset name or a local preset folder
    min_level: int = 4  # FPN levels P4..P6 of a 256 scene: 16x16 .. 4x4 anchors grids
    max_level: int = 6
    anchor_size: float = 1.5  # anchor side = anchor_size * stride (x 2^(k/3), k = 0, 1, 2)
    head_convs: int = 1  # conv layers before each head's output (RetinaNet's paper: 4)
    head_epochs: int = 0  # first epochs with the backbone frozen (fine-tuning a preset)
    backbone_lr_scale: float = 0.1  # after them, the backbone learns at this x the rate
    # centernet: the encoder's pyramid merged into one map at this stride (one of the
    # pyramid's), center_width channels wide; L1 weights of its size and offset losses
    center_stride: int = 8
    center_width: int = 64
    size_weight: float = 1.0
    offset_weight: float = 1.0
    # decoding (every model)
    # kept for mAP (COCO practice: a very low threshold); predict draws >= --score-threshold
    score_threshold: float = 0.001
    nms_iou: float = 0.5
    max_detections: int = 100


def _config(preset: str, data: DataConfig, model: ModelConfig, train: TrainConfig) -> TaskConfig:
    return TaskConfig("detection", preset, data, model, train, RuntimeConfig())


def smoke() -> TaskConfig:
    """Seconds on a CPU: drawn shapes on the bundled photos, a narrow net, two short epochs."""
    return _config(
        "smoke",
        DataConfig(source="shapes", val_images=4, test_images=4, image_size=128, max_boxes=8),
        ModelConfig(grid=4, width=8, backbone="resnet_tiny"),
        TrainConfig(epochs=2, steps_per_epoch=2, batch_size=4, learning_rate=1e-3),
    )


def default() -> TaskConfig:
    """The README run: CenterNet (tiny ResNet encoder) on the scenes, under 5 CPU minutes
    (0.6 s a step on 2 cores)."""
    return _config(
        "default",
        DataConfig(),
        ModelConfig(name="centernet"),
        TrainConfig(epochs=5, steps_per_epoch=90, batch_size=16, learning_rate=1e-3),
    )


def benchmark() -> TaskConfig:
    """The quality table (<= 30 CPU-minutes per model): the default's model, 2,700 steps."""
    return _config(
        "benchmark",
        DataConfig(),
        ModelConfig(name="centernet"),
        TrainConfig(epochs=27, steps_per_epoch=100, batch_size=16, learning_rate=1e-3),
    )


PRESETS = {"smoke": smoke, "default": default, "benchmark": benchmark}
