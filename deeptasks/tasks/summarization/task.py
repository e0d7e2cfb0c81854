"""The summarization task, assembled: Debian package descriptions -> their synopses, a
copy Transformer (and translation's Transformer and GRU), scored by ROUGE against lead-1,
first-k words and LexRank."""

from __future__ import annotations

from deeptasks.tasks.base import PredictOption, Task
from deeptasks.tasks.summarization import data, evaluation, models, predict, samples
from deeptasks.tasks.summarization.config import PRESETS

TASK = Task(
    name="summarization",
    unit="documents",
    description="summarization (copy Transformer) of Debian descriptions to synopses; ROUGE",
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
    headline_metric="rougeL",
    facts=data.facts,
    monitor=("val_loss", "min"),
    check=data.check,
    text_output=True,
    predict_options=(
        PredictOption("max_length", int, "subwords per summary at most"),
        PredictOption("beam_width", int, "beam search width (1 = greedy)"),
        PredictOption("no_repeat_ngram", int, "never repeat an n-gram of subwords (0 = off)"),
    ),
)
