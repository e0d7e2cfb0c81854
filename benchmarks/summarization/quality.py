"""Quality table for summarization: the copy Transformer, the plain Transformer and the
GRU with attention beside lead-1, first-k words and LexRank.

Trains each run once into ``runs/bench-summarization/<model>-<preset>/`` (finished runs
are reused) on debian_synopses and prints rouge-score ROUGE-1/2/L F1 on every test pair,
ROUGE-L on the non-templated part, how abstractive each system is, and documents/s of
batched beam decoding on this CPU.

    python benchmarks/summarization/quality.py [--only copy_transformer,transformer] [--preset benchmark]
"""

from __future__ import annotations

import argparse
import os
from pathlib import Path

from deeptasks.benchmarking import markdown_table, train_once

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

MODELS = ("copy_transformer", "transformer", "gru_attention")


def _row(name: str, test: dict, system: str, rate: str, minutes: str) -> tuple[str, ...]:
    found = test["model"] if system == "model" else test["baselines"][system]
    parts = [test[p][system]["rougeL"] for p in ("non_templated", "templated") if p in test]
    return (
        name,
        f"{found['rouge1']:.2f}",
        f"{found['rouge2']:.2f}",
        f"{found['rougeL']:.2f}",
        *(f"{v:.2f}" for v in parts),
        f"{found['novel_bigrams']:.1f}",
        f"{found['invented_words']:.1f}",
        f"{found['length_ratio']:.2f}",
        rate,
        minutes,
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", default=",".join(MODELS), help="comma-separated models")
    parser.add_argument("--preset", default="benchmark")
    parser.add_argument("--root", default="runs/bench-summarization")
    parser.add_argument("--set", dest="overrides", action="append", default=[])
    args = parser.parse_args()
    rows, metrics = [], None
    for model in filter(None, args.only.split(",")):
        workdir = Path(args.root) / f"{model}-{args.preset}"
        metrics = train_once("summarization", workdir, args.preset, model, args.overrides)
        test = metrics["test"]
        minutes = f"{metrics['train_seconds'] / 60:.1f}"
        name = f"{model}, beam {test['beam_width']}"
        rows.append(_row(name, test, "model", f"{test['beam_documents_per_second']:.1f}", minutes))
    if metrics is None:
        raise SystemExit("no models given (--only)")
    test, data = metrics["test"], metrics["data"]
    for system in test["baselines"]:
        rows.append(_row(system, test, system, "-", "-"))
    parts = [f"{p} ({test[p]['pairs']})" for p in ("non_templated", "templated") if p in test]
    print(
        f"\nsummarization, {data['corpus']} ({data['splits']['train']} training pairs), all "
        f"{test['pairs']} test pairs, preset {args.preset}, {metrics['machine']}; "
        "rouge-score F1, stemming on\n"
    )
    header = (
        "system",
        "ROUGE-1",
        "ROUGE-2",
        "ROUGE-L",
        *(f"ROUGE-L {p}" for p in parts),
        "novel bigrams %",
        "invented words %",
        "length ratio",
        "documents/s",
        "train min",
    )
    print(markdown_table(header, rows))


if __name__ == "__main__":
    main()
