"""Speech recognition real-time factor on CPU: seconds of inference per second of audio,
one utterance at a time (``evaluation.real_time_factor``, the first 20 test utterances), for a
finished run's model called through ``predict_on_batch`` or compiled by XLA, decoded
greedily or by the LM beam search at each ``--prunes`` value; with ``--old-ctc FILE``
also by that file's ``prefix_beam_search`` (an older ``ctc.py``, to measure a change in
one run). Medians of ``--repeats`` passes, all in one process; CER / WER of the same
utterances beside them, so a faster setting that costs accuracy shows it.

    python benchmarks/speech_recognition/rtf.py --workdir runs/bench-sr-v9/blstm-benchmark
    git show 90d77a9:deeptasks/common/decoding/ctc.py > /tmp/ctc_old.py
    python benchmarks/speech_recognition/rtf.py --workdir RUN --prunes=-10,-8,-7 --old-ctc /tmp/ctc_old.py
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import statistics
from pathlib import Path

import numpy as np

from deeptasks.benchmarking import comma_values, markdown_table

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")


def main() -> None:
    from deeptasks.common.metrics.speech import cer, wer
    from deeptasks.datasets.english_text import ALPHABET
    from deeptasks.runs import load_run
    from deeptasks.tasks.speech_recognition import data, decoding, evaluation, inference

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workdir", required=True, help="a finished speech_recognition run")
    parser.add_argument("--prunes", default="", help="LM beam search prunes (default: the run's)")
    parser.add_argument("--old-ctc", help="an older ctc.py whose prefix_beam_search to time")
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()

    _, cfg, model = load_run(Path(args.workdir))
    audio, references, _ = data.examples(cfg, "test")
    audio, references = audio[: evaluation.RTF_UTTERANCES], references[: evaluation.RTF_UTTERANCES]
    lm, m = decoding.language_model(cfg), cfg.model
    decoders = {"greedy": decoding.decode}
    for prune in comma_values(args.prunes) if args.prunes else [m.lm_prune]:
        decoders[f"beam + LM, prune {prune:g}"] = lambda scores, p=prune: decoding.decode(
            scores, m.beam_width, lm, m.lm_weight, m.lm_bonus, p
        )
    if args.old_ctc:
        spec = importlib.util.spec_from_file_location("old_ctc", args.old_ctc)
        old = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(old)

        def old_decoder(scores: list) -> list[str]:
            log_probs = [s - np.logaddexp.reduce(s, -1, keepdims=True) for s in scores]
            return [
                old.prefix_beam_search(lp, ALPHABET, m.beam_width, lm, m.lm_weight, m.lm_bonus)
                for lp in log_probs
            ]

        decoders[f"beam + LM, {Path(args.old_ctc).name}"] = old_decoder
    rows = []
    for xla in (False, True):
        scores = inference.logits(model, audio, xla=xla)
        for name, decoder in decoders.items():
            times = [
                evaluation.real_time_factor(model, audio, decoder, xla) for _ in range(args.repeats)
            ]
            texts = decoder(scores)
            rows.append(
                ("XLA" if xla else "predict_on_batch", name)
                + (f"{statistics.median(times):.4f}", f"{min(times):.4f}", f"{max(times):.4f}")
                + (f"{100 * cer(references, texts):.2f}%", f"{100 * wer(references, texts):.2f}%")
            )
    seconds = sum(len(a) for a in audio) / inference.SAMPLE_RATE
    print(
        f"\n{args.workdir}: the first {len(audio)} test utterances ({seconds:.0f} s), "
        f"median of {args.repeats} passes (each after a warm-up pass), {os.cpu_count()} CPUs\n"
    )
    print(markdown_table(("model call", "decoding", "RTF", "min", "max", "CER", "WER"), rows))


if __name__ == "__main__":
    main()
