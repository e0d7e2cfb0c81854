"""Beam-search sweep for a trained translation run, on the *validation* split: sacreBLEU
BLEU and chrF for each beam width and length penalty (GNMT alpha), beside greedy
decoding, with sentences/s; ``--ngrams`` adds n-gram blocking sizes (``model.no_repeat_ngram``,
0 = off) to the grid. The best row is what ``model.beam_width`` / ``model.length_penalty``
/ ``model.no_repeat_ngram`` should be; the test split is never looked at.

    python benchmarks/sweeps/translation_decoding.py --workdir RUN
    python benchmarks/sweeps/translation_decoding.py --workdir RUN --widths 4,8 --alphas 0.6,1.0
    python benchmarks/sweeps/translation_decoding.py --workdir RUN --widths 4 --alphas 1.0 \
        --ngrams 0,3,4,6
"""

from __future__ import annotations

import argparse
import os
import time
from pathlib import Path

from deeptasks.benchmarking import comma_values, markdown_table

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")


def main() -> None:
    from deeptasks.common.metrics.text import translation_scores
    from deeptasks.runs import load_run
    from deeptasks.tasks.translation import data, inference

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workdir", required=True, help="a finished translation run")
    parser.add_argument("--widths", default="4,8", help="beam widths to try")
    parser.add_argument("--alphas", default="0.6,1.0,1.4", help="length penalties to try")
    parser.add_argument("--ngrams", default="0", help="n-gram blocking sizes (0 = off)")
    args = parser.parse_args()

    _, cfg, model = load_run(Path(args.workdir))
    val = data.pairs(cfg, "val")
    sources, references = [s for s, _ in val], [t for _, t in val]

    def row(width: int, alpha, ngram: int) -> list:
        if alpha is not None:
            cfg.model.length_penalty = alpha
        cfg.model.no_repeat_ngram = ngram
        started = time.perf_counter()
        found = inference.translate(model, cfg, sources, width)
        rate = len(sources) / (time.perf_counter() - started)
        scores = translation_scores(found, references)
        name = "greedy" if width == 1 else f"beam {width}"
        return [name, alpha, ngram, scores["bleu"], scores["chrf"], rate, loops(found)]

    def loops(texts: list[str]) -> int:
        """How many texts repeat a word trigram ("a b c ... a b c")."""
        words = [t.split() for t in texts]
        grams = [list(zip(w, w[1:], w[2:])) for w in words]
        return sum(len(g) != len(set(g)) for g in grams)

    inference.translate(model, cfg, sources[:64], 1)  # trace the decoding step once
    ngrams = comma_values(args.ngrams, int)
    rows = [row(1, None, n) for n in ngrams]
    rows += [
        row(w, a, n)
        for w in comma_values(args.widths, int)
        for a in comma_values(args.alphas)
        for n in ngrams
    ]
    max(rows[len(ngrams) :], key=lambda r: (r[3], r[4]))[0] += " (best)"
    table = [
        (name, "-" if alpha is None else str(alpha), str(n or "-"), f"{bleu:.2f}", f"{chrf:.2f}")
        + (f"{rate:.1f}", str(repeats))
        for name, alpha, n, bleu, chrf, rate, repeats in rows
    ]
    table.append(("references", "-", "-", "-", "-", "-", str(loops(references))))
    print(f"\n{args.workdir}: validation split, {len(sources)} pairs\n")
    header = ("decoding", "length_penalty", "no_repeat_ngram", "BLEU", "chrF", "sentences/s")
    print(markdown_table((*header, "repeat a word trigram"), table))


if __name__ == "__main__":
    main()
