"""The speech decoder's character n-gram LM: how long it takes to build from the speech
corpus's text sources (median of several builds) and how well it predicts the validation
transcripts (bits per character, the end of each sentence included), per text, order and
smoothing.

    python benchmarks/speech_recognition/char_lm.py
    python benchmarks/speech_recognition/char_lm.py --orders 5,6,7,8 --texts sources,train --repeats 3
        --smoothing witten_bell,kneser_ney
"""

from __future__ import annotations

import argparse
import itertools
import math
import os
import statistics
import time

from deeptasks.benchmarking import comma_values, markdown_table

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")


def main() -> None:
    import deeptasks
    from deeptasks.common.decoding.char_lm import CharNgramLM
    from deeptasks.datasets.english_text import ALPHABET
    from deeptasks.tasks.speech_recognition import data

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--preset", default="benchmark", help="whose corpus and splits")
    parser.add_argument("--orders", default="5,6,7")
    parser.add_argument("--texts", default="sources,train", help="model.lm_text values")
    parser.add_argument("--smoothing", default="witten_bell,kneser_ney")
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()

    cfg = deeptasks.get_task("speech_recognition").config(args.preset)
    held_out = data.transcripts(cfg, "val")
    chars = sum(len(s) + 1 for s in held_out)  # + the end of each sentence
    rows = []
    for text in args.texts.split(","):
        cfg.model.lm_text = text
        started = time.perf_counter()
        texts = data.lm_texts(cfg)
        read = time.perf_counter() - started
        for order, smoothing in itertools.product(
            comma_values(args.orders, int), args.smoothing.split(",")
        ):
            times = []
            for _ in range(args.repeats):
                started = time.perf_counter()
                lm = CharNgramLM(texts, ALPHABET, order, smoothing)
                times.append(time.perf_counter() - started)
            nats = -sum(lm.sentence_log_prob(s) for s in held_out)
            rows.append(
                [
                    text,
                    f"{len(texts):,}",
                    f"{sum(map(len, texts)) / 1e6:.2f} M",
                    f"{read:.1f}",
                    str(order),
                    smoothing,
                    f"{statistics.median(times):.2f}",
                    f"{nats / chars / math.log(2):.3f}",
                ]
            )
    print(f"\nspeech corpus of the {args.preset} preset; {len(held_out)} val transcripts\n")
    header = ("LM text", "sentences", "characters", "read s", "order", "smoothing")
    header += ("build s", "val bits/char")
    print(markdown_table(header, rows))


if __name__ == "__main__":
    main()
