"""Seconds a training step of the text-to-speech vocoder takes, with the STFT loss alone
and with the adversarial stage (its discriminator), at the benchmark preset's batch and
window on random data: the cost of the stage, measured without the corpus.

    python benchmarks/sweeps/vocoder_step.py [--steps 3] [--repeats 3]
"""

from __future__ import annotations

import argparse
import os
import statistics
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=3)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    import numpy as np

    import deeptasks
    from deeptasks.benchmarking import markdown_table
    from deeptasks.tasks.text_to_speech import config, models

    deeptasks.get_task("text_to_speech")
    cfg = config.benchmark()
    cfg.model.name = "vocoder"
    batch, frames = cfg.train.batch_size, cfg.data.vocoder_frames
    rng = np.random.default_rng(0)
    mel = rng.normal(-5.0, 2.0, (batch * args.steps, frames, 80)).astype("float32")
    wave = rng.uniform(-0.5, 0.5, (batch * args.steps, frames * 256)).astype("float32")
    rows = []
    for weight in (0.0, 4.0):
        cfg.model.adversarial_weight = weight
        model = models.vocoder(cfg.model, mel_mean=-5.0, mel_std=2.0)
        models.compile_model(model, cfg)
        model.fit(mel, wave, batch_size=batch, epochs=1, verbose=0)  # traces
        times = []
        for _ in range(args.repeats):
            started = time.perf_counter()
            model.fit(mel, wave, batch_size=batch, epochs=1, verbose=0)
            times.append((time.perf_counter() - started) / args.steps)
        name = "STFT loss" if weight == 0 else "adversarial stage"
        rows.append((name, f"{statistics.median(times):.3f}", f"{min(times):.3f}"))
    print(f"\nvocoder step, batch {batch} x {frames} frames, median of {args.repeats}\n")
    print(markdown_table(("training", "s/step", "min s/step"), rows))


if __name__ == "__main__":
    main()
