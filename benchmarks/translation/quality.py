"""Quality table for translation: the Transformer and the GRU with additive attention
beside copying the source, each with beam search and greedy decoding.

Trains each run once into ``runs/bench-translation/<model>-<preset>/`` (finished runs
are reused) on DDTP en->de and prints sacreBLEU BLEU and chrF of detokenised output on
every test pair, and sentences/s of batched beam and greedy decoding on this CPU.

    python benchmarks/translation/quality.py [--only transformer,gru_attention] [--preset benchmark]
"""

from __future__ import annotations

import argparse
import os
from pathlib import Path

from deeptasks.benchmarking import markdown_table, train_once

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

MODELS = ("transformer", "gru_attention")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", default=",".join(MODELS), help="comma-separated models")
    parser.add_argument("--preset", default="benchmark")
    parser.add_argument("--root", default="runs/bench-translation")
    parser.add_argument("--set", dest="overrides", action="append", default=[])
    args = parser.parse_args()
    rows, metrics = [], None
    for model in filter(None, args.only.split(",")):
        workdir = Path(args.root) / f"{model}-{args.preset}"
        metrics = train_once("translation", workdir, args.preset, model, args.overrides)
        test = metrics["test"]
        minutes = f"{metrics['train_seconds'] / 60:.1f}"
        beam, greedy = test["model"], test["greedy"]
        rows.append(
            (
                f"{model}, beam {test['beam_width']}",
                f"{beam['bleu']:.2f}",
                f"{beam['chrf']:.2f}",
                f"{test['beam_sentences_per_second']:.1f}",
                minutes,
            )
        )
        rows.append(
            (
                f"{model}, greedy",
                f"{greedy['bleu']:.2f}",
                f"{greedy['chrf']:.2f}",
                f"{test['greedy_sentences_per_second']:.1f}",
                minutes,
            )
        )
    if metrics is None:
        raise SystemExit("no models given (--only)")
    test, data = metrics["test"], metrics["data"]
    floor = test["baseline"]
    rows.append(("copy source (floor)", f"{floor['bleu']:.2f}", f"{floor['chrf']:.2f}", "-", "-"))
    print(
        f"\ntranslation {data['direction']}, {data['corpus']} ({data['splits']['train']} "
        f"training pairs), all {test['sentences']} test pairs, preset {args.preset}, "
        f"{metrics['machine']}; sacreBLEU {test['sacrebleu']['bleu']}\n"
    )
    header = ("model, decoding", "BLEU", "chrF", "sentences/s", "train min")
    print(markdown_table(header, rows))


if __name__ == "__main__":
    main()
