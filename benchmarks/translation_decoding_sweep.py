"""Beam-search sweep for a trained translation run, on the *validation* split: sacreBLEU
BLEU and chrF for each beam width and length penalty (GNMT alpha), beside greedy
decoding, with sentences/s. The best pair is what ``model.beam_width`` /
``model.length_penalty`` should be; the test split is never looked at.

    python benchmarks/translation_decoding_sweep.py --workdir RUN
    python benchmarks/translation_decoding_sweep.py --workdir RUN --widths 4,8 --alphas 0.6,1.0
"""

from __future__ import annotations

import argparse
import os
import time
from pathlib import Path

from _runs import comma_values
from _table import markdown_table

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")


def main() -> None:
    from deeptasks.common.metrics.text import translation_scores
    from deeptasks.common.training import load_run
    from deeptasks.tasks.translation import data, task

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workdir", required=True, help="a finished translation run")
    parser.add_argument("--widths", default="4,8", help="beam widths to try")
    parser.add_argument("--alphas", default="0.6,1.0,1.4", help="length penalties to try")
    args = parser.parse_args()

    _, cfg, model = load_run(Path(args.workdir))
    val = data.pairs(cfg, "val")
    sources, references = [s for s, _ in val], [t for _, t in val]

    def row(width: int, alpha) -> list:
        if alpha is not None:
            cfg.model.length_penalty = alpha
        started = time.perf_counter()
        found = task.translate(model, cfg, sources, width)
        rate = len(sources) / (time.perf_counter() - started)
        scores = translation_scores(found, references)
        name = "greedy" if width == 1 else f"beam {width}"
        return [name, alpha, scores["bleu"], scores["chrf"], rate]

    task.translate(model, cfg, sources[:64], 1)  # trace the decoding step once
    rows = [row(1, None)]
    rows += [row(w, a) for w in comma_values(args.widths, int) for a in comma_values(args.alphas)]
    max(rows[1:], key=lambda r: (r[2], r[3]))[0] += " (best)"
    table = [
        (name, "-" if alpha is None else str(alpha), f"{bleu:.2f}", f"{chrf:.2f}", f"{rate:.1f}")
        for name, alpha, bleu, chrf, rate in rows
    ]
    print(f"\n{args.workdir}: validation split, {len(sources)} pairs\n")
    print(markdown_table(("decoding", "length_penalty", "BLEU", "chrF", "sentences/s"), table))


if __name__ == "__main__":
    main()
