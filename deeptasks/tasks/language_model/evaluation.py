"""The language-model test protocol: bits per character (and perplexity per token and
per word) of the model on the test documents, beside an interpolated Kneser-Ney
character n-gram of the training documents scored on the same characters, its order
picked on validation; generation speed with and without the cache; the bench."""

from __future__ import annotations

import time
from typing import Any

import keras

from deeptasks.common.decoding.char_lm import CharNgramLM
from deeptasks.common.throughput import training_throughput
from deeptasks.tasks.language_model import data
from deeptasks.tasks.language_model.inference import generate, score_text, text_scores

GENERATED_TOKENS = 64
_NGRAMS: dict[tuple, CharNgramLM] = {}


def ngram(cfg, order: int) -> CharNgramLM:
    """The ``order``-gram Kneser-Ney character model of the training documents (each line
    a sentence, the end of a line scored as a character), once per process."""
    key = data.corpus_key(cfg) + (order,)  # the training split depends on every field
    if key not in _NGRAMS:
        train = data.split_text(cfg, "train")
        alphabet = "".join(sorted(set(train) - {"\n"}))
        _NGRAMS[key] = CharNgramLM(train.strip("\n").split("\n"), alphabet, order, "kneser_ney")
    return _NGRAMS[key]


def ngram_scores(lm: CharNgramLM, text: str) -> dict[str, float]:
    """The n-gram's scores of ``text`` (a stream starting with a newline): the same
    characters the model predicts, each line's end being the newline after it."""
    lines = text[1:].split("\n")[:-1] if text.endswith("\n") else text[1:].split("\n")
    nats = -sum(lm.sentence_log_prob(line) for line in lines)
    return text_scores(nats, text, len(text))


def pick_order(cfg) -> tuple[int, dict[int, float]]:
    """The order of ``model.ngram_orders`` with the lowest validation bits/char."""
    val = data.split_text(cfg, "val")
    bits = {o: ngram_scores(ngram(cfg, o), val)["bits_per_char"] for o in cfg.model.ngram_orders}
    return min(bits, key=bits.get), bits


def generation_speed(model: keras.Model, cfg) -> dict[str, float]:
    """Tokens/s of greedy generation, through the cache (where the model has one) and
    running the whole prefix again for every token; timed after one untimed call."""
    speeds = {}
    for cached in (True, False) if _has_cache(model) else (False,):
        generate(model, cfg, "The", "greedy", max_length=4, cached=cached)
        started = time.perf_counter()
        generate(model, cfg, "The", "greedy", max_length=GENERATED_TOKENS, cached=cached)
        name = "cached" if cached else "uncached"
        speeds[f"generation_tokens_per_s_{name}"] = round(
            GENERATED_TOKENS / (time.perf_counter() - started), 1
        )
    return speeds


def _has_cache(model: keras.Model) -> bool:
    return hasattr(model, "call_with_cache")


def evaluate(model: keras.Model, cfg) -> dict[str, Any]:
    """Model and n-gram scores on the test documents."""
    test = data.split_text(cfg, "test")
    order, val_bits = pick_order(cfg)
    model_scores = score_text(model, cfg, test)
    baseline_scores = ngram_scores(ngram(cfg, order), test)
    return {
        "model": model_scores,
        # per token is the model's own unit; characters and words are shared
        "baseline": {k: baseline_scores[k] for k in ("bits_per_char", "word_perplexity")},
        "baseline_name": f"kneser_ney_{order}gram",
        "baseline_val_bits_per_char": {str(k): round(v, 4) for k, v in val_bits.items()},
        "characters": len(test) - 1,
        "documents": [name for name, _ in data.documents(cfg)["test"]],
        "parameters": model.count_params(),
        **generation_speed(model, cfg),
    }


def bench(model: keras.Model, cfg, batches: int = 5) -> dict[str, Any]:
    """Training tokens/s (pipeline and step), generation tokens/s with and without the
    cache, and the parameter count."""
    if not model.compiled:
        from deeptasks.tasks.language_model import models

        models.compile_model(model, cfg)
    throughput = training_throughput(
        model, data.build_dataset(cfg, "train"), cfg.train.batch_size, 2, batches
    )
    tokens = cfg.data.sequence_length
    return {
        "train_tokens_per_s": round(throughput["train_step_patches_per_s"] * tokens, 1),
        "pipeline_tokens_per_s": round(throughput["pipeline_patches_per_s"] * tokens, 1),
        **generation_speed(model, cfg),
        "parameters": model.count_params(),
    }
