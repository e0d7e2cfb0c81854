"""Quality table for text-to-speech: the acoustic models (through the neural vocoder run
and Griffin-Lim) beside the lookup synthesiser and the true-mel ceilings.

Trains each run once into ``runs/bench-text_to_speech/<model>-<preset>/`` (finished runs
are reused): the vocoder first, then each acoustic model speaking through it. With
``--asr RUN`` (a speech_recognition run folder) intelligibility is scored through that
recogniser, for the synthesised and the reference audio of the same sentences.

    python benchmarks/text_to_speech/quality.py [--only conv,fastspeech2] [--preset benchmark]
        [--asr runs/bench-speech_recognition/blstm-default] [--adversarial EPOCHS]
"""

from __future__ import annotations

import argparse
import os
from pathlib import Path

from deeptasks.benchmarking import markdown_table, train_once

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

MODELS = ("conv", "fastspeech2")
# Each model's training stays within 30 minutes on 2 CPU cores. FastSpeech 2-lite gets
# 2,500 of the preset's 3,000 steps: a probe on shared cores took 0.66 s a step (on idle
# cores its documented row took 0.34 s, 14.0 min; the conv model's 0.31 s, 15.4 min).
MODEL_OVERRIDES = {"fastspeech2": ["train.epochs=25"]}
KEYS = ("mcd", "f0_rmse", "vuv_error", "stoi", "duration_mae", "asr_cer", "rtf")


def _cells(scores: dict) -> list[str]:
    return [f"{scores[k]:.3f}" if k in scores else "-" for k in KEYS]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", default=",".join(MODELS), help="comma-separated models")
    parser.add_argument("--preset", default="benchmark")
    parser.add_argument("--root", default="runs/bench-text_to_speech")
    parser.add_argument("--asr", default="", help="a speech_recognition run folder")
    parser.add_argument("--no-vocoder", action="store_true", help="Griffin-Lim only")
    parser.add_argument(
        "--adversarial",
        type=int,
        default=0,
        metavar="EPOCHS",
        help="also train the vocoder's adversarial stage from the vocoder run, this many "
        "epochs (0 = skip)",
    )
    parser.add_argument("--set", dest="overrides", action="append", default=[])
    args = parser.parse_args()
    overrides = list(args.overrides)
    rows = []
    if not args.no_vocoder:
        vocoder = Path(args.root) / f"vocoder-{args.preset}"
        found = train_once("text_to_speech", vocoder, args.preset, "vocoder", overrides)
        test = found["test"]
        minutes = f"{found['train_seconds'] / 60:.1f}"
        rows.append(("true mel + neural vocoder", *_cells(test["model"]), minutes))
        rows.append(("true mel + Griffin-Lim", *_cells(test["baseline"]), "-"))
        if args.adversarial:
            stage = Path(args.root) / f"vocoder-adversarial-{args.preset}"
            more = [f"model.vocoder_init={vocoder.resolve()}", "model.adversarial_weight=4"]
            more += [f"train.epochs={args.adversarial}", "train.learning_rate=2e-4"]
            found = train_once("text_to_speech", stage, args.preset, "vocoder", overrides + more)
            minutes = f"+{found['train_seconds'] / 60:.1f}"
            rows.append(
                ("true mel + vocoder, adversarial stage", *_cells(found["test"]["model"]), minutes)
            )
        overrides.append(f"model.vocoder_workdir={vocoder.resolve()}")
    if args.asr:
        overrides.append(f"model.asr_workdir={Path(args.asr).resolve()}")
    metrics = None
    for model in filter(None, args.only.split(",")):
        workdir = Path(args.root) / f"{model}-{args.preset}"
        own = MODEL_OVERRIDES.get(model, []) if args.preset == "benchmark" else []
        metrics = train_once("text_to_speech", workdir, args.preset, model, own + overrides)
        test = metrics["test"]
        through = "neural vocoder" if test["vocoder"] != "griffin_lim" else "Griffin-Lim"
        minutes = f"{metrics['train_seconds'] / 60:.1f}"
        rows.append((f"{model} + {through}", *_cells(test["model"]), minutes))
        if "model_griffin_lim" in test["baselines"]:
            rows.append(
                (f"{model} + Griffin-Lim", *_cells(test["baselines"]["model_griffin_lim"]), minutes)
            )
    if metrics is not None:
        test = metrics["test"]
        rows.append(("lookup baseline + Griffin-Lim", *_cells(test["baseline"]), "-"))
        if "asr" in test:
            reference = test["asr"]["reference"]
            rows.append(
                ("reference eSpeak NG audio", *["-"] * 5, f"{reference['cer']:.3f}", "-", "-")
            )
        print(
            f"\ntext_to_speech, {metrics['data']['corpus']}, {test['sentences']} "
            f"test sentences of held-out documents, preset {args.preset}, {metrics['machine']}\n"
        )
    header = ("system", "MCD dB", "F0 RMSE Hz", "V/UV err", "STOI", "dur MAE fr", "ASR CER", "RTF")
    print(markdown_table((*header, "train min"), rows))


if __name__ == "__main__":
    main()
