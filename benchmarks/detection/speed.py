"""Where a detector's CPU time goes: training steps per second of each detection model,
and of its image encoder alone, on one batch of scenes held in memory.

Each row builds the model of the default preset with the given overrides, compiles it
with its own loss and times training steps through ``fit`` (the first epoch traces, the
second is timed; :func:`deeptasks.common.throughput.training_throughput`), then times
inference (decoding and NMS included). The "encoder alone" row trains the image encoder
under a one-number head, the floor every model on that encoder pays.

    python benchmarks/detection/speed.py [--batches 8] [--repeats 3]
"""

from __future__ import annotations

import argparse
import os
import statistics

from deeptasks.benchmarking import markdown_table

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

ROWS = {
    "retinanet (P4-P6, 256-wide FPN and heads)": ["model.name=retinanet"],
    "retinanet P3-P7": ["model.name=retinanet", "model.min_level=3", "model.max_level=7"],
    "centernet (stride 8, 64 wide)": ["model.name=centernet"],
    "centernet (stride 8, 32 wide)": ["model.name=centernet", "model.center_width=32"],
    "yolo (8 x 8 grid)": ["model.name=yolo"],
    "encoder alone (resnet_tiny)": ["model.name=centernet"],
}


def _encoder_model(cfg):
    import keras

    from deeptasks.common import backbones

    size = cfg.data.image_size
    encoder = backbones.image_encoder(cfg.model.backbone, "", size)
    pyramid = keras.Model(encoder.inputs, list(encoder.pyramid_outputs.values()))
    images = keras.Input((size, size, 3))
    pooled = [keras.layers.GlobalAveragePooling2D()(m) for m in pyramid(images)]
    model = keras.Model(images, keras.layers.Dense(1)(keras.layers.Concatenate()(pooled)))
    model.compile(optimizer="adam", loss="mse")
    return model


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--batches", type=int, default=8, help="timed training steps")
    parser.add_argument("--repeats", type=int, default=3, help="runs per row (median)")
    parser.add_argument("--only", default="", help="comma-separated row numbers (1-based)")
    args = parser.parse_args()

    import tensorflow as tf

    import deeptasks
    from deeptasks.common.throughput import inference_rate, training_throughput
    from deeptasks.common.training import machine_summary
    from deeptasks.tasks.detection.inference import detect

    task = deeptasks.get_task("detection")
    chosen = {int(i) for i in args.only.split(",") if i} or set(range(1, len(ROWS) + 1))
    rows = []
    for number, (label, overrides) in enumerate(ROWS.items(), 1):
        if number not in chosen:
            continue
        cfg = task.config("default", overrides)
        train = task.build_dataset(cfg, "train")
        steps, infer = [], []
        for _ in range(args.repeats):
            if label.startswith("encoder"):
                model = _encoder_model(cfg)
                x, _ = next(iter(train))
                data = tf.data.Dataset.from_tensors((x, tf.zeros([len(x), 1]))).repeat()
                infer.append(
                    inference_rate(model.predict_on_batch, x.numpy())["inference_images_per_s"]
                )
            else:
                model = task.build_model(cfg)
                task.compile_model(model, cfg)
                data = train
                x, _ = next(iter(train))
                rate = inference_rate(lambda b: detect(model, cfg, b), x.numpy())  # noqa: B023
                infer.append(rate["inference_images_per_s"])
            timed = training_throughput(model, data, cfg.train.batch_size, 2, args.batches)
            steps.append(timed["train_step_patches_per_s"])
        rows.append(
            (
                label,
                f"{model.count_params() / 1e6:.2f}",
                f"{statistics.median(steps):.1f}",
                f"{statistics.median(infer):.1f}",
            )
        )
        print(rows[-1], flush=True)
    print(
        f"\ndetection speed, batch {cfg.train.batch_size} at {cfg.data.image_size} px, "
        f"medians of {args.repeats}, {machine_summary()}"
    )
    print(markdown_table(("model", "M params", "train scenes/s", "infer img/s"), rows))


if __name__ == "__main__":
    main()
