"""The speech recognition test protocol: WER and CER (jiwer) on the test split (clean and
20 dB SNR; seen and unseen accents; greedy, beam search and beam search with the LMs)
against a DTW template matcher and PocketSphinx, real-time factors, and the task's bench."""

from __future__ import annotations

import time
from typing import Any

import keras
import numpy as np

from deeptasks.common.metrics.speech import cer, wer
from deeptasks.common.throughput import training_throughput
from deeptasks.tasks.speech_recognition import baselines, data, models
from deeptasks.tasks.speech_recognition.decoding import decode, decoder_with_lm, lm_summary
from deeptasks.tasks.speech_recognition.inference import (
    PAD_SECONDS,
    SAMPLE_RATE,
    as_float,
    infer,
    logits,
    padded,
)
from deeptasks.tasks.speech_recognition.models import output_frames

RTF_UTTERANCES = 20
SAMPLE_UTTERANCES = 3
# test groups, in report order: eSpeak NG's seen and unseen accents, Flite's seen and
# held-out voices, and the engine held out of training (see datasets/speech.py)
GROUPS = (
    "seen_accent",
    "unseen_accent",
    "flite_seen_voice",
    "flite_unseen_voice",
    "held_out_engine",
)


def labels_of(row: dict) -> tuple[str, ...]:
    """What a test row is scored under beside the whole: its group and, in a corpus of
    several engines, ``engine_<name>``."""
    group = row.get("group", "all")
    return (group, f"engine_{row['engine']}") if "engine" in row else (group,)


def _scores(references: list[str], hypotheses: list[str], labels: list[tuple], suffix: str = ""):
    """CER and WER over everything, and per group and per engine (``labels`` of each row,
    see :func:`labels_of`)."""
    values = {
        f"cer{suffix}": cer(references, hypotheses),
        f"wer{suffix}": wer(references, hypotheses),
    }
    present = {label for row in labels for label in row}
    engines = sorted(label for label in present if label.startswith("engine_"))
    for kind in [g for g in GROUPS if g in present] + (engines if len(engines) > 1 else []):
        chosen = [k for k, row in enumerate(labels) if kind in row]
        refs, hyps = [references[k] for k in chosen], [hypotheses[k] for k in chosen]
        values[f"cer_{kind}{suffix}"] = cer(refs, hyps)
        values[f"wer_{kind}{suffix}"] = wer(refs, hyps)
    return values


def real_time_factor(
    model: keras.Model, audio: list[np.ndarray], decoder=None, xla: bool = False
) -> float:
    """Seconds of CPU-side inference (model, through ``infer``, + ``decoder``, greedy by
    default), one utterance at a time, per second of audio, over the first
    ``RTF_UTTERANCES`` utterances; timed on a second pass, after the first has traced (and
    with ``xla`` compiled) every padded length."""
    chosen = audio[:RTF_UTTERANCES]
    decoder = decoder or decode

    def one_pass() -> float:
        started = time.perf_counter()
        for samples in chosen:
            scores = infer(model, padded([samples], PAD_SECONDS), xla)
            decoder([scores[0, : output_frames(len(samples))]])
        return time.perf_counter() - started

    one_pass()
    return one_pass() / (sum(len(a) for a in chosen) / SAMPLE_RATE)


def pocketsphinx_scores(audio, references, greedy, labels, count: int) -> dict[str, Any]:
    """PocketSphinx's CER/WER (normalised like every transcript; per group and engine too)
    and real-time factor on the first ``count`` clean test utterances of each engine, with
    the model's ``greedy`` CER/WER on the same ones (``model_cer``, ``model_wer``)."""
    from deeptasks.datasets.english_text import normalise

    kinds = sorted({label for row in labels for label in row if label.startswith("engine_")})
    chosen = []
    for kind in kinds or [None]:
        rows = [k for k, row in enumerate(labels) if kind is None or kind in row]
        chosen += rows[:count]
    refs, subset = [references[k] for k in chosen], [audio[k] for k in chosen]
    recogniser = baselines.PocketSphinx()
    started = time.perf_counter()
    heard = [normalise(recogniser.transcribe(samples)) for samples in subset]
    seconds = time.perf_counter() - started
    scores = _scores(refs, heard, [labels[k] for k in chosen])
    mine = [greedy[k] for k in chosen]
    model_cer, model_wer = cer(refs, mine), wer(refs, mine)
    each = f" of each engine ({len(chosen)})" if kinds else ""
    return scores | {
        "note": f"on the first {count} clean test utterances{each}, where the model (greedy) "
        f"has CER {model_cer:.4f}, WER {model_wer:.4f}",
        "rtf": seconds / (sum(len(a) for a in subset) / SAMPLE_RATE),
        "utterances": len(chosen),
        "model_cer": model_cer,
        "model_wer": model_wer,
        "model_scores": _scores(refs, mine, [labels[k] for k in chosen]),
        "examples": [{"reference": r, "heard": h} for r, h in zip(refs, heard)][:SAMPLE_UTTERANCES],
    }


def evaluate(model: keras.Model, cfg) -> dict[str, Any]:
    """WER and CER on the test split for the model (greedy, beam search, and beam search
    with the character LM when ``model.lm_order`` > 0) and the DTW template matcher; the
    20 dB SNR version and seen/unseen-accent groups where the corpus has them; real-time
    factors (greedy, and with the LM)."""
    audio, references, rows = data.examples(cfg, "test")
    groups = [labels_of(row) for row in rows]
    versions = {"": audio}
    if cfg.data.source == "speech":
        versions["_snr20"] = data.examples(cfg, "test", noisy=True)[0]
    train_audio, train_texts, _ = data.examples(cfg, "train")
    matcher = baselines.TemplateMatcher(
        baselines.features([as_float(a) for a in train_audio[: baselines.TEMPLATES]]),
        train_texts[: baselines.TEMPLATES],
    )
    model_scores: dict[str, float] = {}
    baseline_scores: dict[str, float] = {}
    examples_out: dict[str, list] = {}
    baseline_seconds = 0.0
    with_lm = decoder_with_lm(cfg) if cfg.model.lm_order else None
    xla = cfg.model.xla_inference
    for suffix, version in versions.items():
        scores = logits(model, version, xla=xla)
        greedy = decode(scores)
        beam = decode(scores, cfg.model.beam_width)
        model_scores |= _scores(references, greedy, groups, suffix)
        model_scores |= _scores(references, beam, groups, f"{suffix}_beam")
        if with_lm:
            model_scores |= _scores(references, with_lm(scores), groups, f"{suffix}_lm")
        started = time.perf_counter()
        matched = [matcher.transcribe(f) for f in baselines.features(map(as_float, version))]
        baseline_seconds += time.perf_counter() - started
        baseline_scores |= _scores(references, matched, groups, suffix)
        examples_out[f"greedy{suffix}"] = greedy[:SAMPLE_UTTERANCES]
        if not suffix:
            clean_greedy = greedy
    audio_seconds = sum(len(a) for a in audio) / SAMPLE_RATE * len(versions)
    model_scores["rtf"] = real_time_factor(model, audio, xla=xla)
    if with_lm:
        model_scores["rtf_lm"] = real_time_factor(model, audio, with_lm, xla)
    baseline_scores["rtf"] = baseline_seconds / audio_seconds
    others = {}
    if cfg.model.pocketsphinx_utterances > 0:
        others["pocketsphinx"] = pocketsphinx_scores(
            audio, references, clean_greedy, groups, cfg.model.pocketsphinx_utterances
        )
    return {
        "model": model_scores,
        "baseline": baseline_scores,
        "baselines": others,
        "baseline_name": "dtw_template_matcher",
        "baseline_description": f"DTW nearest neighbour over {len(matcher.transcripts)} "
        "training utterances (answers with a training transcript)",
        "utterances": len(audio),
        "audio_seconds": round(sum(len(a) for a in audio) / SAMPLE_RATE, 2),
        "beam_width": cfg.model.beam_width,
        "language_model": lm_summary(cfg) if with_lm else "none",
        "examples": [
            {"reference": r, "greedy": h} for r, h in zip(references, examples_out["greedy"])
        ],
    }


def bench(model: keras.Model, cfg, batches: int = 5) -> dict[str, Any]:
    """Training pipeline and step throughput (utterances/s) and the real-time factor."""
    if not model.compiled:
        models.compile_model(model, cfg)
    throughput = training_throughput(
        model, data.build_dataset(cfg, "train"), cfg.train.batch_size, 2, batches
    )
    audio = data.examples(cfg, "test")[0]
    rtf = real_time_factor(model, audio, xla=cfg.model.xla_inference)
    return {**throughput, "rtf": round(rtf, 4)}
