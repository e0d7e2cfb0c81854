"""The super-resolution task, assembled: x2/x3/x4 single-image super-resolution against
bicubic, scored by PSNR-Y/SSIM-Y."""

from __future__ import annotations

from deeptasks.common.tiling import SELF_ENSEMBLE_HELP
from deeptasks.tasks.base import PredictOption, Task
from deeptasks.tasks.super_resolution import data, evaluation, models, predict, samples
from deeptasks.tasks.super_resolution.config import PRESETS

TASK = Task(
    name="super_resolution",
    description="single-image super-resolution (x2/x3/x4) vs bicubic; PSNR-Y/SSIM-Y",
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
    headline_metric="psnr_y",
    facts=data.facts,
    monitor=("val_psnr", "max"),
    predict_options=(PredictOption("self_ensemble", bool, SELF_ENSEMBLE_HELP),),
)
