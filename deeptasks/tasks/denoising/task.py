"""The denoising task, assembled: AWGN and realistic camera noise against BM3D, non-local
means and wavelet shrinkage, scored by PSNR/SSIM."""

from __future__ import annotations

from deeptasks.common.tiling import SELF_ENSEMBLE_HELP
from deeptasks.tasks.base import PredictOption, Task
from deeptasks.tasks.denoising import data, evaluation, models, predict, samples
from deeptasks.tasks.denoising.config import PRESETS

TASK = Task(
    name="denoising",
    description="image denoising (AWGN, realistic camera noise) vs BM3D, NLM, wavelet; PSNR/SSIM",
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
    headline_metric="psnr",
    facts=data.facts,
    monitor=("val_psnr", "max"),
    check=data.check,
    predict_options=(
        PredictOption(
            "sigma", float, "the inputs' noise level (0-255) for fixed-sigma or non-blind use"
        ),
        PredictOption(
            "noise_scale", float, "CBDNet: scale the estimated noise map (>1 smoother, <1 sharper)"
        ),
        PredictOption("self_ensemble", bool, SELF_ENSEMBLE_HELP),
    ),
)
