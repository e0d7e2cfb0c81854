"""Quality table for speech recognition: BLSTM-CTC and DFCNN-CTC beside the DTW template
matcher, on unseen sentences spoken by unseen voices (eSpeak NG corpus).

Trains each run once into ``runs/bench-speech_recognition/<model>-<preset>/`` (finished
runs are reused; a run directory given with ``--workdir`` is read as it is) and prints one
table: CER and WER on the clean and 20 dB SNR test split, greedy, beam search, and beam
search with the character n-gram LM (``_lm``), the unseen-accent half, and the real-time
factor of CPU inference (greedy, and with the LM).

    python benchmarks/speech_recognition/quality.py [--only blstm,dfcnn] [--preset benchmark]
    python benchmarks/speech_recognition/quality.py --workdir runs/sr-default-blstm
"""

from __future__ import annotations

import argparse
import json
import os
from pathlib import Path

from deeptasks.benchmarking import markdown_table, train_once
from deeptasks.tasks.speech_recognition.evaluation import GROUPS

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

MODELS = ("blstm", "dfcnn")
COLUMNS = (
    "cer",
    "wer",
    "cer_beam",
    "wer_beam",
    "cer_lm",
    "wer_lm",
    "cer_snr20_lm",
    "wer_snr20_lm",
    "cer_snr20",
    "cer_unseen_accent_lm",
)


def _cell(scores: dict, key: str) -> str:
    value = scores.get(key)
    return "-" if value is None else f"{100 * value:.1f}%"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", default=",".join(MODELS), help="comma-separated models")
    parser.add_argument("--preset", default="benchmark")
    parser.add_argument("--root", default="runs/bench-speech_recognition")
    parser.add_argument("--workdir", action="append", default=[], help="finished run(s) to read")
    args = parser.parse_args()
    if args.workdir:
        runs = [json.loads((Path(w) / "metrics.json").read_text()) for w in args.workdir]
    else:
        runs = [
            train_once(
                "speech_recognition", Path(args.root) / f"{m}-{args.preset}", args.preset, m, []
            )
            for m in filter(None, args.only.split(","))
        ]
    rows = []
    for metrics in runs:
        test = metrics["test"]
        rows.append(
            (
                f"{metrics['model_name']} ({metrics['preset']})",
                *(_cell(test["model"], key) for key in COLUMNS),
                f"{test['model']['rtf']:.4f}",
                f"{test['model'].get('rtf_lm', float('nan')):.4f}",
                f"{metrics['train_seconds'] / 60:.1f}",
            )
        )
    baseline = runs[-1]["test"]
    rows.append(
        (
            f"{baseline['baseline_name']} (baseline)",
            *(_cell(baseline["baseline"], key) for key in COLUMNS),
            f"{baseline['baseline']['rtf']:.4f}",
            "-",
            "-",
        )
    )
    splits = runs[-1]["data"]["splits"]
    print(
        f"\nspeech_recognition, speech corpus: {splits['train']} training utterances; "
        f"test {splits['test']} utterances of unseen sentences by unseen voice variants "
        f"(eSpeak's half in unseen accents; other engines in the second table), clean and at "
        f"20 dB SNR; beam width {baseline['beam_width']}; "
        f"_lm: beam search with {baseline.get('language_model', 'no LM')}\n"
    )
    header = ("model", *COLUMNS, "rtf", "rtf_lm", "train min")
    print(markdown_table(header, rows))
    _engine_table(runs)


def _engine_table(runs: list[dict]) -> None:
    """CER / WER by engine and voice group (beam search with the LMs), and PocketSphinx
    against the model's greedy decoding on the utterances it was run on."""
    if not any("cer_held_out_engine" in m["test"]["model"] for m in runs):
        return
    rows = []
    for metrics in runs:
        scores = metrics["test"]["model"]
        cells = [f"{_cell(scores, f'cer_{g}_lm')} / {_cell(scores, f'wer_{g}_lm')}" for g in GROUPS]
        rows.append((f"{metrics['model_name']} ({metrics['preset']}), beam + LMs", *cells))
        sphinx = metrics["test"].get("baselines", {}).get("pocketsphinx")
        if sphinx:
            for name, found in (("greedy", sphinx["model_scores"]), ("PocketSphinx", sphinx)):
                cells = [f"{_cell(found, f'cer_{g}')} / {_cell(found, f'wer_{g}')}" for g in GROUPS]
                rows.append((f"{name}, first {sphinx['utterances']} of the engines", *cells))
    print("\nCER / WER by engine and voice group\n")
    print(markdown_table(("system", *GROUPS), rows))


if __name__ == "__main__":
    main()
