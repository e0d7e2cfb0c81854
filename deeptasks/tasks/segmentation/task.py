"""The segmentation task, assembled: per-pixel classes of generated scenes (or VOC-style
folders, Oxford pets), scored by mIoU against all-background and colour baselines."""

from __future__ import annotations

from deeptasks.datasets import scene_pipeline
from deeptasks.tasks.base import Task
from deeptasks.tasks.segmentation import data, evaluation, models, predict, samples
from deeptasks.tasks.segmentation.config import PRESETS


def check(cfg) -> None:
    """Refuse a bad config (data or loss) before anything is built."""
    data.check(cfg)
    models.make_loss(cfg.train.loss)


TASK = Task(
    name="segmentation",
    description="semantic segmentation (DeepLabV3+, U-Net, FCN-8s) on generated scenes; mIoU",
    presets=PRESETS,
    models=models.MODELS,
    build_dataset=data.build_dataset,
    compile_model=models.compile_model,
    evaluate=evaluation.evaluate,
    predict=predict.predict,
    example_inputs=predict.example_inputs,
    write_samples=samples.write_samples,
    describe_data=data.describe_data,
    bench=evaluation.bench,
    headline_metric="miou",
    facts=data.facts,
    monitor=("val_miou", "max"),
    check=check,
    other_test_splits=scene_pipeline.other_test_splits,
)
