"""Quality table for language models: the LSTM and the GPT-style Transformer beside the
Kneser-Ney character n-gram, in bits per character on the test plays.

Trains each run once into ``runs/bench-language-model/<model>-<preset>/`` (finished runs
are reused) and prints bits/char, perplexity per token and per word, the n-gram's
bits/char on the same characters (its order picked on validation), parameters, training
tokens/s and greedy generation tokens/s with and without the key/value cache.

    python benchmarks/language_model/quality.py [--only lstm,gpt] [--preset benchmark]
"""

from __future__ import annotations

import argparse
import json
import os
from pathlib import Path

from deeptasks.benchmarking import markdown_table, train_once

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

MODELS = ("lstm", "gpt")
# The presets' model section is sized for the LSTM; the GPT gets its own layers, width of
# its feed-forward and rate, and fewer steps, as its steps are slower (0.8 s against the
# LSTM's 0.55 at 64 x 64 pieces, idle cores) and the training budget is the same.
GPT_SETTINGS = {
    "benchmark": [
        "model.layers=4",
        "model.intermediate_dim=1024",
        "train.learning_rate=2e-3",
        "train.epochs=16",
    ],
    "default": [
        "model.layers=2",
        "model.intermediate_dim=1024",
        "train.learning_rate=2e-3",
        "train.epochs=6",
    ],
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", default=",".join(MODELS), help="comma-separated models")
    parser.add_argument("--preset", default="benchmark")
    parser.add_argument("--root", default="runs/bench-language-model")
    parser.add_argument("--set", dest="overrides", action="append", default=[])
    args = parser.parse_args()
    rows, metrics = [], None
    for model in filter(None, args.only.split(",")):
        workdir = Path(args.root) / f"{model}-{args.preset}"
        overrides = (GPT_SETTINGS.get(args.preset, []) if model == "gpt" else []) + args.overrides
        metrics = train_once("language_model", workdir, args.preset, model, overrides)
        test = metrics["test"]
        length = json.loads((workdir / "config.json").read_text())["data"]["sequence_length"]
        tokens = metrics["train_samples_per_second"] * length
        rows.append(
            (
                model,
                f"{test['model']['bits_per_char']:.3f}",
                f"{test['model']['perplexity']:.2f}",
                f"{test['model']['word_perplexity']:.1f}",
                f"{test['parameters']:,}",
                f"{tokens:,.0f}",
                str(test.get("generation_tokens_per_s_cached", "-")),
                str(test.get("generation_tokens_per_s_uncached", "-")),
                f"{metrics['train_seconds'] / 60:.1f}",
            )
        )
    if metrics is None:
        raise SystemExit("no models given (--only)")
    test = metrics["test"]
    base = test["baseline"]
    rows.append(
        (
            test["baseline_name"],
            f"{base['bits_per_char']:.3f}",
            "-",
            f"{base['word_perplexity']:.1f}",
        )
        + ("-",) * 5
    )
    print(
        f"\nlanguage model, {metrics['data']['corpus']}: test plays {test['documents']}, "
        f"{test['characters']:,} characters, preset {args.preset}, {metrics['machine']}\n"
    )
    header = (
        "model",
        "bits/char",
        "perplexity/token",
        "perplexity/word",
        "parameters",
        "train tokens/s",
        "gen tokens/s cached",
        "gen tokens/s uncached",
        "train min",
    )
    print(markdown_table(header, rows))


if __name__ == "__main__":
    main()
