"""The text-to-speech test protocol on the held-out sentences: MCD with DTW, F0 RMSE and
voiced/unvoiced error, duration MAE, STOI (with the true durations, so the signals
align), intelligibility through a speech_recognition run, and real-time factors; the
model against the lookup baseline and the true-mel ceilings, each measured the same way."""

from __future__ import annotations

import contextlib
import io
import json
import tempfile
import time
from functools import lru_cache
from pathlib import Path
from typing import Any

import keras
import numpy as np

from deeptasks.common.audio import resample, write_wav
from deeptasks.common.metrics import speech_quality
from deeptasks.common.metrics.speech import cer, wer
from deeptasks.common.throughput import training_throughput
from deeptasks.datasets import tts
from deeptasks.datasets.english_text import normalise
from deeptasks.errors import UserError
from deeptasks.tasks.base import model_spec
from deeptasks.tasks.text_to_speech import baselines, data
from deeptasks.tasks.text_to_speech.inference import acoustic, vocode, vocoder_of

RATE = tts.SAMPLE_RATE
RTF_UTTERANCES = 10


def score(items, analysed, audio, aligned=None, durations=None) -> dict[str, float]:
    """The means over utterances of MCD, F0 RMSE, V/UV error (``audio``), STOI
    (``aligned``: synthesised with the true durations) and duration MAE in frames."""
    rows = [
        speech_quality.compare(data.reference_audio(i), a, RATE, f)
        for i, a, f in zip(items, audio, analysed)
    ]
    out = {key: float(np.nanmean([r[key] for r in rows])) for key in rows[0]}
    if aligned is not None:
        out["stoi"] = float(
            np.mean(
                [
                    speech_quality.stoi(data.reference_audio(i), a, RATE)
                    for i, a in zip(items, aligned)
                ]
            )
        )
    if durations is not None:
        errors = [np.abs(d - i["durations"]).mean() for i, d in zip(items, durations)]
        out["duration_mae"] = float(np.mean(errors))
    return out


def real_time_factor(synthesise, count: int) -> float:
    """Seconds of synthesis per second of audio, one utterance at a time, over ``count``
    utterances; timed on a second pass (the first traces)."""
    synthesise(0)
    started, seconds = time.perf_counter(), 0.0
    for k in range(count):
        seconds += len(synthesise(k)) / RATE
    return (time.perf_counter() - started) / max(seconds, 1e-9)


@lru_cache(maxsize=2)
def _recogniser(workdir: str):
    from deeptasks.runs import load_run

    task, cfg, model = load_run(Path(workdir))
    if task.name != "speech_recognition":
        raise UserError(f"model.asr_workdir={workdir} is not a speech_recognition run")
    return task, cfg, model


def intelligibility(workdir: str, audio: list[np.ndarray], texts: list[str]) -> dict[str, float]:
    """CER and WER of the speech_recognition run in ``workdir`` on ``audio`` (22,050 Hz,
    resampled to 16 kHz), through the run's own ``predict``."""
    task, cfg, model = _recogniser(workdir)
    with tempfile.TemporaryDirectory() as folder:
        paths = [
            write_wav(Path(folder) / f"{k:04d}.wav", resample(a, RATE)) for k, a in enumerate(audio)
        ]
        target = Path(folder) / "transcripts.json"
        with contextlib.redirect_stdout(io.StringIO()):
            task.predict(model, cfg, paths, target, force=True)
        found = [row["transcript"] for row in json.loads(target.read_text())]
    references = [normalise(t) for t in texts]
    return {"cer": cer(references, found), "wer": wer(references, found)}


def _vocoder_protocol(model, cfg, items, analysed) -> dict[str, Any]:
    mels = [np.asarray(i["mel"], np.float32) for i in items]
    neural = vocode(cfg, mels, model)
    classical = vocode(cfg, mels)
    model_scores = score(items, analysed, neural, neural)
    model_scores["rtf"] = real_time_factor(
        lambda k: vocode(cfg, mels[k : k + 1], model)[0], min(RTF_UTTERANCES, len(mels))
    )
    base = score(items, analysed, classical, classical)
    base["rtf"] = real_time_factor(
        lambda k: vocode(cfg, mels[k : k + 1])[0], min(RTF_UTTERANCES, len(mels))
    )
    return {"model": model_scores, "baseline": base, "baseline_name": "true_mel_griffin_lim"}


def evaluate(model: keras.Model, cfg) -> dict[str, Any]:
    """The test protocol on the test sentences (``model.eval_utterances`` of them, 0 =
    all). An acoustic model speaks through ``model.vocoder_workdir``'s vocoder (else
    Griffin-Lim), and with a vocoder its mels are also scored through Griffin-Lim
    (``baselines.model_griffin_lim``); the lookup baseline speaks through Griffin-Lim; the
    ceilings are the true mel through Griffin-Lim and through the vocoder."""
    items = data.utterances(cfg, "test", cfg.model.eval_utterances)
    analysed = [speech_quality.analyse(data.reference_audio(i), RATE) for i in items]
    if model_spec(cfg).extra["kind"] == "vocoder":
        return _vocoder_protocol(model, cfg, items, analysed)
    vocoder = vocoder_of(cfg)
    ids = [np.asarray(i["ids"]) for i in items]
    truth = [np.asarray(i["durations"]) for i in items]
    mels, durations = acoustic(model, cfg, ids)
    aligned_mels, _ = acoustic(model, cfg, ids, durations=truth)

    def through(speaker) -> tuple[dict[str, float], list[np.ndarray]]:
        audio = vocode(cfg, mels, speaker)
        scores = score(items, analysed, audio, vocode(cfg, aligned_mels, speaker), durations)
        scores["rtf"] = real_time_factor(
            lambda k: vocode(cfg, acoustic(model, cfg, ids[k : k + 1])[0], speaker)[0],
            min(RTF_UTTERANCES, len(ids)),
        )
        return scores, audio

    model_scores, audio = through(vocoder)
    lookup = [baselines.synthesise(cfg, i) for i in ids]
    lookup_aligned = [baselines.synthesise(cfg, i, d)[0] for i, d in zip(ids, truth)]
    base_audio = vocode(cfg, [m for m, _ in lookup])
    base = score(items, analysed, base_audio, vocode(cfg, lookup_aligned), [d for _, d in lookup])
    base["rtf"] = real_time_factor(
        lambda k: vocode(cfg, [baselines.synthesise(cfg, ids[k])[0]])[0],
        min(RTF_UTTERANCES, len(ids)),
    )
    true_mels = [np.asarray(i["mel"], np.float32) for i in items]
    true_gl = vocode(cfg, true_mels)
    others = {"lookup": base, "true_mel_griffin_lim": score(items, analysed, true_gl, true_gl)}
    if vocoder is not None:
        true_neural = vocode(cfg, true_mels, vocoder)
        others["true_mel_vocoder"] = score(items, analysed, true_neural, true_neural)
    result = {"model": model_scores, "baseline": base, "baseline_name": "lookup"}
    result["sentences"] = len(items)
    result["baselines"] = others
    result["vocoder"] = cfg.model.vocoder_workdir or "griffin_lim"
    spoken = {"model": audio, "lookup": base_audio}
    if vocoder is not None:  # the model's mels through Griffin-Lim too: a row per vocoder
        others["model_griffin_lim"], spoken["model_griffin_lim"] = through(None)
    if cfg.model.asr_workdir:
        texts = [i["text"] for i in items]
        references = [data.reference_audio(i) for i in items]
        heard = {"reference": references} | spoken
        result["asr"] = {"run": cfg.model.asr_workdir} | {
            name: intelligibility(cfg.model.asr_workdir, sound, texts)
            for name, sound in heard.items()
        }
        model_scores["asr_cer"] = result["asr"]["model"]["cer"]
        base["asr_cer"] = result["asr"]["lookup"]["cer"]
        if "model_griffin_lim" in others:
            others["model_griffin_lim"]["asr_cer"] = result["asr"]["model_griffin_lim"]["cer"]
    return result


def bench(model: keras.Model, cfg, batches: int = 5) -> dict[str, Any]:
    """Training utterances/s (pipeline and step) and the parameter count."""
    if not model.compiled:
        from deeptasks.tasks.text_to_speech import models

        models.compile_model(model, cfg)
    throughput = training_throughput(
        model, data.build_dataset(cfg, "train"), cfg.train.batch_size, 2, batches
    )
    return {
        "train_utterances_per_s": round(throughput["train_step_patches_per_s"], 2),
        "pipeline_utterances_per_s": round(throughput["pipeline_patches_per_s"], 2),
        "parameters": model.count_params(),
    }
