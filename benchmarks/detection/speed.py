"""Where a detector's CPU time goes: training steps per second of each detection model,
and of its image encoder alone, on one batch of scenes held in memory.

Each row builds the model of the default preset with the given overrides, compiles it
with its own loss and times training steps through ``fit`` (the first epoch traces, the
second is timed; :func:`deeptasks.common.throughput.training_throughput`), then times
inference (decoding and NMS included). The "encoder alone" row trains the image encoder
under a one-number head, the floor every model on that encoder pays.

    python benchmarks/detection/speed.py [--batches 8] [--repeats 3]
    python benchmarks/detection/speed.py --macs   # convolution multiply-adds per scene
"""

from __future__ import annotations

import argparse
import os
import statistics

import numpy as np

from deeptasks.benchmarking import markdown_table

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

ROWS = {
    "retinanet (P4-P6, 256-wide FPN and heads)": ["model.name=retinanet"],
    "retinanet P3-P7": ["model.name=retinanet", "model.min_level=3", "model.max_level=7"],
    "centernet (stride 8, 64 wide)": ["model.name=centernet"],
    "centernet (stride 8, 32 wide)": ["model.name=centernet", "model.center_width=32"],
    "yolo (8 x 8 grid on the encoder, 128-wide head)": ["model.name=yolo"],
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


def conv_macs(model) -> int:
    """Multiply-adds of a model's 2-D convolutions for one image (biases, norms left out)."""
    import keras

    total = 0
    for layer in model._flatten_layers(include_self=False):
        if isinstance(layer, keras.layers.Conv2D):
            height, width, channels = layer.output.shape[1:]
            total += height * width * channels * int(np.prod(layer.kernel.shape[:3]))
    return total


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--batches", type=int, default=8, help="timed training steps")
    parser.add_argument("--repeats", type=int, default=3, help="runs per row (median)")
    parser.add_argument("--only", default="", help="comma-separated row numbers (1-based)")
    parser.add_argument("--macs", action="store_true", help="count multiply-adds, time nothing")
    args = parser.parse_args()
    if args.macs:
        return _print_macs()

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


def _print_macs() -> None:
    import deeptasks
    from deeptasks.common import backbones

    task = deeptasks.get_task("detection")
    rows = []
    for name in ("centernet", "yolo"):  # RetinaNet shares its heads across levels: not counted
        cfg = task.config("default", [f"model.name={name}"])
        rows.append((name, f"{conv_macs(task.build_model(cfg)) / 1e9:.2f}"))
    encoder = backbones.image_encoder("resnet_tiny", "", cfg.data.image_size)
    rows.append(("encoder alone (resnet_tiny)", f"{conv_macs(encoder) / 1e9:.2f}"))
    print(f"\nconvolution multiply-adds per {cfg.data.image_size} px scene")
    print(markdown_table(("model", "G multiply-adds"), rows))


if __name__ == "__main__":
    main()
