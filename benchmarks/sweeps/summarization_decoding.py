"""Beam-search sweep for a trained summarization run, on the *validation* split:
rouge-score ROUGE-1/2/L and the length ratio for each beam width, length penalty (GNMT
alpha) and n-gram blocking size, beside greedy decoding, with documents/s. The best row
is what ``model.beam_width`` / ``model.length_penalty`` / ``model.no_repeat_ngram``
should be; the test split is never looked at.

    python benchmarks/sweeps/summarization_decoding.py --workdir RUN
    python benchmarks/sweeps/summarization_decoding.py --workdir RUN --widths 4 --alphas 1,2 --ngrams 0,3
"""

from __future__ import annotations

import argparse
import os
import time
from pathlib import Path

from deeptasks.benchmarking import comma_values, markdown_table

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")


def main() -> None:
    from deeptasks.common.metrics.text import abstractiveness, rouge_scores
    from deeptasks.runs import load_run
    from deeptasks.tasks.summarization import data, inference

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workdir", required=True, help="a finished summarization run")
    parser.add_argument("--widths", default="4", help="beam widths to try")
    parser.add_argument("--alphas", default="0.6,1.0,1.5,2.0", help="length penalties to try")
    parser.add_argument("--ngrams", default="3", help="n-gram blocking sizes (0 = off)")
    args = parser.parse_args()

    _, cfg, model = load_run(Path(args.workdir))
    val = data.pairs(cfg, "val")
    documents, references = [r["document"] for r in val], [r["summary"] for r in val]

    def row(width: int, alpha, ngram: int) -> list:
        if alpha is not None:
            cfg.model.length_penalty = alpha
        cfg.model.no_repeat_ngram = ngram
        started = time.perf_counter()
        found = inference.summarize(model, cfg, documents, width)
        rate = len(documents) / (time.perf_counter() - started)
        scores = rouge_scores(found, references)
        ratio = abstractiveness(found, documents, references)["length_ratio"]
        name = "greedy" if width == 1 else f"beam {width}"
        return [
            name,
            alpha,
            ngram,
            scores["rouge1"],
            scores["rouge2"],
            scores["rougeL"],
            ratio,
            rate,
        ]

    inference.summarize(model, cfg, documents[:64], 1)  # trace the decoding step once
    ngrams = comma_values(args.ngrams, int)
    rows = [row(1, None, n) for n in ngrams]
    rows += [
        row(w, a, n)
        for w in comma_values(args.widths, int)
        for a in comma_values(args.alphas)
        for n in ngrams
    ]
    max(rows[len(ngrams) :], key=lambda r: r[5])[0] += " (best)"
    table = [
        (name, "-" if alpha is None else str(alpha), str(n or "-"))
        + (f"{r1:.2f}", f"{r2:.2f}", f"{rl:.2f}", f"{ratio:.2f}", f"{rate:.1f}")
        for name, alpha, n, r1, r2, rl, ratio, rate in rows
    ]
    print(f"\nsummarization decoding on the validation split ({len(val)} pairs), {args.workdir}\n")
    header = ("decoding", "alpha", "no-repeat n", "ROUGE-1", "ROUGE-2", "ROUGE-L", "length ratio")
    print(markdown_table((*header, "documents/s"), table))


if __name__ == "__main__":
    main()
