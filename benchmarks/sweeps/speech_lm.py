"""Language-model fusion sweep for CTC beam search, on the *validation* split of a trained
speech recognition run: CER and WER for each LM weight and character bonus, beside beam
search without an LM, and the decoding time per second of audio. The best pair is what
``model.lm_weight`` / ``model.lm_bonus`` should be; the test split is never looked at.
With ``--word-order N`` each pair is also tried with an N-gram word model on top at each
of ``--word-weights`` (``model.word_lm_order`` / ``model.word_lm_weight``).

    python benchmarks/sweeps/speech_lm.py --workdir runs/bench-sr-v2/blstm-benchmark
    python benchmarks/sweeps/speech_lm.py --workdir RUN --weights 0.3,0.6 --bonuses 0,1 --order 5
        --lm-text train --beam-width 16 --smoothing kneser_ney
    python benchmarks/sweeps/speech_lm.py --workdir RUN --word-order 3 --word-weights 0,0.25,0.5
    python benchmarks/sweeps/speech_lm.py --workdir RUN --weights 0.75 --bonuses 2 --word-order 3
        --word-weights 0.25 --prunes=-10,-8,-7,-6

``--prunes`` (``model.lm_prune``): at each frame the LM beam search tries only labels of
log-probability >= this; each value is tried with every LM and pair.
"""

from __future__ import annotations

import argparse
import os
import time
from pathlib import Path

from deeptasks.benchmarking import comma_values, markdown_table

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")


def main() -> None:
    from deeptasks.common.metrics.speech import cer, wer
    from deeptasks.runs import load_run
    from deeptasks.tasks.speech_recognition import data, decoding, inference

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workdir", required=True, help="a finished speech_recognition run")
    parser.add_argument("--weights", default="0.25,0.5,0.75,1.0", help="LM weights to try")
    parser.add_argument("--bonuses", default="0,0.5,1,1.5,2", help="per-character bonuses")
    parser.add_argument("--order", type=int, default=0, help="n-gram order (0 = the run's)")
    parser.add_argument("--lm-text", choices=("sources", "train"), help="default: the run's")
    parser.add_argument("--beam-width", type=int, default=0, help="0 = the run's")
    parser.add_argument("--smoothing", choices=("witten_bell", "kneser_ney"), help="the run's")
    parser.add_argument("--word-order", type=int, default=0, help="word model order (0: none)")
    parser.add_argument("--word-weights", default="0.25,0.5", help="word model weights to try")
    parser.add_argument("--prunes", default="", help="label prune thresholds (default: the run's)")
    args = parser.parse_args()

    _, cfg, model = load_run(Path(args.workdir))
    if args.order:
        cfg.model.lm_order = args.order
    if args.lm_text:
        cfg.model.lm_text = args.lm_text
    if args.smoothing:
        cfg.model.lm_smoothing = args.smoothing
    width = args.beam_width or cfg.model.beam_width
    audio, references, _ = data.examples(cfg, "val")
    seconds = sum(len(a) for a in audio) / inference.SAMPLE_RATE
    scores = inference.logits(model, audio)
    cfg.model.word_lm_order = 0
    lms = {f"beam + {cfg.model.lm_order}-gram LM": decoding.language_model(cfg)}
    if args.word_order:
        cfg.model.word_lm_order = args.word_order
        for weight in comma_values(args.word_weights):
            cfg.model.word_lm_weight = weight
            lms[f"  + {args.word_order}-gram words x {weight}"] = decoding.language_model(cfg)

    prunes = comma_values(args.prunes) if args.prunes else [cfg.model.lm_prune]

    def row(name: str, weight, bonus, fused=None, prune=-10.0) -> list:
        started = time.perf_counter()
        texts = decoding.decode(scores, width, fused, weight or 0.0, bonus or 0.0, prune)
        speed = (time.perf_counter() - started) / seconds
        return [name, weight, bonus, cer(references, texts), wer(references, texts), speed]

    rows = [row("beam, no LM", None, None)]
    rows += [
        row(name + (f", prune {prune:g}" if len(prunes) > 1 else ""), w, b, lm, prune)
        for name, lm in lms.items()
        for prune in prunes
        for w in comma_values(args.weights)
        for b in comma_values(args.bonuses)
    ]
    min(rows[1:], key=lambda r: (r[3], r[4]))[0] += " (best)"
    table = [
        (name, "-" if w is None else str(w), "-" if b is None else str(b))
        + (f"{100 * c:.2f}%", f"{100 * e:.2f}%", f"{speed:.4f}")
        for name, w, b, c, e, speed in rows
    ]
    print(
        f"\n{args.workdir}: validation split, {len(audio)} utterances ({seconds:.0f} s), "
        f"beam width {width}, LM on {cfg.model.lm_order}-grams of {decoding.lm_description(cfg)}, "
        f"{cfg.model.lm_smoothing} smoothing\n"
    )
    print(markdown_table(("decoding", "lm_weight", "lm_bonus", "CER", "WER", "decode s/s"), table))


if __name__ == "__main__":
    main()
