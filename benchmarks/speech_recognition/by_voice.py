"""Speech recognition errors by voice: CER of finished runs on each test accent and each
test voice variant (greedy, and with ``--lm`` beam search with the run's language models),
one column per run, to see where a change to training helps and where it hurts.

    python benchmarks/speech_recognition/by_voice.py --workdir runs/bench-sr-v4w/blstm-benchmark
        --workdir runs/bench-sr-v7-accents/blstm-benchmark [--lm]
"""

from __future__ import annotations

import argparse
import os
from collections import defaultdict
from pathlib import Path

from deeptasks.benchmarking import markdown_table

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")


def main() -> None:
    from deeptasks.common.metrics.speech import cer
    from deeptasks.datasets import speech
    from deeptasks.runs import load_run
    from deeptasks.tasks.speech_recognition import data, decoding, inference

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workdir", action="append", required=True, help="finished run(s)")
    parser.add_argument("--lm", action="store_true", help="also beam search with the LMs")
    args = parser.parse_args()

    columns: dict[str, dict[str, float]] = {}
    for workdir in args.workdir:
        _, cfg, model = load_run(Path(workdir))
        audio, references, rows = data.examples(cfg, "test")
        scores = inference.logits(model, audio)
        decoders = {"greedy": decoding.decode}
        if args.lm:
            decoders["beam + LM"] = decoding.decoder_with_lm(cfg)
        for name, decoder in decoders.items():
            hypotheses = decoder(scores)
            pairs: dict[str, tuple[list, list]] = defaultdict(lambda: ([], []))
            for reference, hypothesis, row in zip(references, hypotheses, rows):
                star = " *" if row["group"] == "unseen_accent" else ""
                accent, variant = f"accent {row['accent']}{star}", f"variant {row['variant']}"
                for key in ("all", row["group"], accent, variant):
                    pairs[key][0].append(reference)
                    pairs[key][1].append(hypothesis)
            column = f"{Path(workdir).parent.name}/{Path(workdir).name} {name}"
            columns[column] = {key: cer(*pair) for key, pair in pairs.items()}
            columns[column] |= {f"{key} (n)": len(pair[0]) for key, pair in pairs.items()}
    first = next(iter(columns.values()))
    keys = sorted((k for k in first if not k.endswith("(n)")), key=_order)
    table = [
        [key, str(first[f"{key} (n)"])] + [f"{100 * c[key]:.1f}%" for c in columns.values()]
        for key in keys
    ]
    print(f"CER on the test split (* = accent never heard in training: {speech.UNSEEN_ACCENTS})")
    print(markdown_table(["test utterances", "n", *columns], table))


def _order(key: str) -> tuple:
    rank = ("all", "seen_accent", "unseen_accent", "accent", "variant")
    return next(i for i, prefix in enumerate(rank) if key.startswith(prefix)), key


if __name__ == "__main__":
    main()
