"""The detection task, assembled: boxes on generated scenes (or COCO/VOC), scored by COCO
mAP against a box-prior detector that looks at no pixels."""

from __future__ import annotations

from deeptasks.datasets import scene_pipeline
from deeptasks.tasks.base import PredictOption, Task
from deeptasks.tasks.detection import data, evaluation, models, predict, samples
from deeptasks.tasks.detection.config import PRESETS

TASK = Task(
    name="detection",
    description="object detection (CenterNet, RetinaNet, YOLO grid) on generated scenes; COCO mAP",
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
    headline_metric="map_50",
    facts=data.facts,
    monitor=("val_loss", "min"),
    check=data.check,
    other_test_splits=scene_pipeline.other_test_splits,
    predict_options=(
        PredictOption(
            "score_threshold",
            float,
            "draw and list detections scoring at least this (default 0.3)",
        ),
    ),
)
