"""The translation task, assembled: DDTP package descriptions (or a TSV, or WMT) between
English and German/French, scored by sacreBLEU BLEU/chrF against copying the source."""

from __future__ import annotations

from deeptasks.tasks.base import Task
from deeptasks.tasks.translation import data, evaluation, models, predict, samples
from deeptasks.tasks.translation.config import PRESETS

TASK = Task(
    name="translation",
    unit="sentence pairs",
    description="machine translation (GRU + additive attention, Transformer) on DDTP; sacreBLEU",
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
    headline_metric="bleu",
    facts=data.facts,
    monitor=("val_loss", "min"),
    check=data.check,
    text_output=True,
)
