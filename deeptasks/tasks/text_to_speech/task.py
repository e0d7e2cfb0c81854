"""The text-to-speech task, assembled: non-autoregressive acoustic models and a neural
vocoder on eSpeak NG speech with eSpeak's own phoneme durations, against a lookup
synthesiser, scored by MCD, F0 RMSE, STOI and a speech recogniser."""

from __future__ import annotations

from deeptasks.tasks.base import PredictOption, Task
from deeptasks.tasks.text_to_speech import data, evaluation, models, predict, samples
from deeptasks.tasks.text_to_speech.config import PRESETS

TASK = Task(
    name="text_to_speech",
    unit="utterances",
    description="text-to-speech (conv, FastSpeech 2-lite, MelGAN vocoder) on eSpeak NG; MCD",
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
    headline_metric="mcd",
    facts=data.facts,
    monitor=("val_loss", "min"),
    check=data.check,
    predict_options=(
        PredictOption("speed", float, "speaking rate: predicted durations divided by this"),
        PredictOption("pitch", float, "shift the predicted F0 by this many semitones"),
    ),
)
