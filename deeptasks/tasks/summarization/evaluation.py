"""The summarization test protocol: rouge-score ROUGE-1/2/L F1 of the model's beam search
output against the reference synopses, beside lead-1, first-k words (k picked on
validation) and LexRank, on the whole test split and on its non-templated and templated
parts; how abstractive each is; and the bench."""

from __future__ import annotations

import time
from typing import Any

import keras

from deeptasks.common.metrics import text as text_metrics
from deeptasks.common.throughput import training_throughput
from deeptasks.errors import UserError
from deeptasks.tasks.summarization import baselines, data, models
from deeptasks.tasks.summarization.inference import summarize

BENCH_DOCUMENTS = 64
_K: dict[tuple, tuple[int, dict]] = {}


def first_k(cfg) -> tuple[int, dict[int, float]]:
    """The k of the first-k-words baseline, picked on the validation split (per source)."""
    key = (cfg.data.source, cfg.data.tsv_path)
    if key not in _K:
        val = data.pairs(cfg, "val")
        _K[key] = baselines.pick_k([r["document"] for r in val], [r["summary"] for r in val])
    return _K[key]


def outputs(model: keras.Model, cfg, documents: list[str]) -> tuple[dict[str, list[str]], float]:
    """Every system's summaries of ``documents`` (the model's first), and the model's
    documents/s."""
    k, _ = first_k(cfg)
    started = time.perf_counter()
    found = {"model": summarize(model, cfg, documents)}
    rate = len(documents) / max(time.perf_counter() - started, 1e-9)
    found["lead_1"] = [baselines.lead_1(d) for d in documents]
    found[f"first_{k}_words"] = [baselines.first_k(d, k) for d in documents]
    found["lexrank"] = [baselines.lexrank(d) for d in documents]
    return found, rate


def _scores(summaries, documents, references) -> dict[str, float]:
    return {
        **text_metrics.rouge_scores(summaries, references),
        **text_metrics.abstractiveness(summaries, documents, references),
    }


def evaluate(model: keras.Model, cfg) -> dict[str, Any]:
    """ROUGE and abstractiveness of the model and every baseline on the test split, on
    all of it and on its non-templated and templated parts."""
    test = data.pairs(cfg, "test")
    if not test:
        raise UserError("the test split has no document/summary pairs; check data.source")
    documents = [r["document"] for r in test]
    references = [r["summary"] for r in test]
    found, rate = outputs(model, cfg, documents)
    k, val_rouge_l = first_k(cfg)
    parts: dict[str, Any] = {}
    for part, keep in (("non_templated", False), ("templated", True)):
        rows = [i for i, r in enumerate(test) if r["templated"] == keep]
        if rows:
            pick = lambda values, rows=rows: [values[i] for i in rows]  # noqa: E731
            parts[part] = {
                "pairs": len(rows),
                **{
                    name: _scores(pick(s), pick(documents), pick(references))
                    for name, s in found.items()
                },
            }
    scores = {name: _scores(s, documents, references) for name, s in found.items()}
    baseline_name = f"first_{k}_words"
    return {
        "model": scores.pop("model"),
        "baseline": scores[baseline_name],
        "baseline_name": baseline_name,
        "baselines": scores,
        **parts,
        "pairs": len(test),
        "first_k_val_rougeL": {str(n): v for n, v in val_rouge_l.items()},
        "beam_width": cfg.model.beam_width,
        "beam_documents_per_second": round(rate, 2),
        "parameters": model.count_params(),
    }


def bench(model: keras.Model, cfg) -> dict[str, Any]:
    """Training pipeline and step throughput, and documents/s of batched greedy and beam
    decoding on test documents."""
    if not model.compiled:
        models.compile_model(model, cfg)
    throughput = training_throughput(
        model, data.build_dataset(cfg, "train"), cfg.train.batch_size, 2, 5
    )
    documents = [r["document"] for r in data.pairs(cfg, "test")[:BENCH_DOCUMENTS]]
    summarize(model, cfg, documents[: cfg.model.decode_batch], 1)  # trace the step once
    rates = {}
    for width in (1, cfg.model.beam_width):
        started = time.perf_counter()
        summarize(model, cfg, documents, width)
        rates[width] = len(documents) / max(time.perf_counter() - started, 1e-9)
    return {
        **throughput,
        "greedy_documents_per_s": round(rates[1], 2),
        f"beam{cfg.model.beam_width}_documents_per_s": round(rates[cfg.model.beam_width], 2),
        "decode_batch": cfg.model.decode_batch,
    }
