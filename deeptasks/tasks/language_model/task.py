"""The language-model task, assembled: LSTM and GPT-style language models of English
documents, scored in bits per character against a Kneser-Ney character n-gram."""

from __future__ import annotations

from deeptasks.tasks.base import PredictOption, Task
from deeptasks.tasks.language_model import data, evaluation, models, predict, samples
from deeptasks.tasks.language_model.config import PRESETS
from deeptasks.tasks.language_model.inference import SAMPLERS

TASK = Task(
    name="language_model",
    unit="documents",
    description="language models (LSTM, GPT) of Shakespeare's plays vs Kneser-Ney; bits/char",
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
    headline_metric="bits_per_char",
    facts=data.facts,
    monitor=("val_loss", "min"),
    check=data.check,
    text_output=True,
    predict_options=(
        PredictOption("sampler", str, f"generation: {' | '.join(SAMPLERS)} (keras-hub)"),
        PredictOption("temperature", float, "generation: divide the logits by this"),
        PredictOption("max_length", int, "generation: tokens per continuation"),
        PredictOption("seed", int, "generation: the same seed gives the same text"),
        PredictOption("score", bool, "score the input files: bits/char, model and n-gram"),
    ),
)
