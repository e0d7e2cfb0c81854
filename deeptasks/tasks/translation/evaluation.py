"""The translation test protocol: sacreBLEU BLEU and chrF of the model's beam search (and
greedy) output against the raw references, beside copying the source; the bench."""

from __future__ import annotations

import time
from typing import Any

import keras

from deeptasks.common.metrics import text as text_metrics
from deeptasks.common.throughput import training_throughput
from deeptasks.errors import UserError
from deeptasks.tasks.translation import data, models
from deeptasks.tasks.translation.inference import translate

BENCH_SENTENCES = 64


def _timed(model, cfg, sources, width) -> tuple[list[str], float]:
    started = time.perf_counter()
    found = translate(model, cfg, sources, width)
    return found, len(sources) / max(time.perf_counter() - started, 1e-9)


def evaluate(model: keras.Model, cfg) -> dict[str, Any]:
    """sacreBLEU BLEU and chrF of the model's detokenised beam-search (and greedy)
    output against the raw references of the test split, beside copying the source."""
    test = data.pairs(cfg, "test")
    if not test:
        raise UserError("the test split has no sentence pairs; check data.source")
    sources, references = [s for s, _ in test], [t for _, t in test]
    width = cfg.model.beam_width
    beam, beam_rate = _timed(model, cfg, sources, width)
    greedy, greedy_rate = _timed(model, cfg, sources, 1)
    return {
        "model": text_metrics.translation_scores(beam, references),
        "baseline": text_metrics.translation_scores(sources, references),
        "baseline_name": "copy_source",
        "greedy": text_metrics.translation_scores(greedy, references),
        "beam_width": width,
        "sentences": len(test),
        "beam_sentences_per_second": round(beam_rate, 2),
        "greedy_sentences_per_second": round(greedy_rate, 2),
        "sacrebleu": text_metrics.signatures(),
    }


def bench(model: keras.Model, cfg) -> dict[str, Any]:
    """Training pipeline and step throughput, and sentences/s of batched greedy and
    beam decoding on test sentences."""
    if not model.compiled:
        models.compile_model(model, cfg)
    throughput = training_throughput(
        model, data.build_dataset(cfg, "train"), cfg.train.batch_size, 2, 5
    )
    sources = [s for s, _ in data.pairs(cfg, "test")[:BENCH_SENTENCES]]
    translate(model, cfg, sources[: cfg.model.decode_batch], 1)  # trace the step once
    _, greedy = _timed(model, cfg, sources, 1)
    _, beam = _timed(model, cfg, sources, cfg.model.beam_width)
    return {
        **throughput,
        "greedy_sentences_per_s": round(greedy, 2),
        f"beam{cfg.model.beam_width}_sentences_per_s": round(beam, 2),
        "decode_batch": cfg.model.decode_batch,
    }
