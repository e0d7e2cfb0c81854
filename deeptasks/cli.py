"""``deeptasks`` command line: list | data | train | pretrain | evaluate | predict | export |
bench.

Mistakes a user can make end with one line on stderr and exit code 2.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
from pathlib import Path

import deeptasks  # quiet TensorFlow (TF_CPP_MIN_LOG_LEVEL=2 unless set) and every Keras class
from deeptasks.errors import UserError

EXIT_USER_ERROR = 2


class _Parser(argparse.ArgumentParser):
    def error(self, message: str):  # one line instead of usage + message
        raise UserError(f"{message} (see '{self.prog} --help')")


def _add_config_args(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("task", help="task name (see 'deeptasks list')")
    parser.add_argument("--preset", default="default", help="smoke | default | benchmark | ...")
    parser.add_argument("--model", help="model name (shorthand for --set model.name=...)")
    parser.add_argument(
        "--set",
        dest="overrides",
        action="append",
        default=[],
        metavar="SECTION.KEY=VALUE",
        help="override a config value (repeatable)",
    )


def _resolve(args):
    task = deeptasks.get_task(args.task)
    overrides = list(args.overrides) + ([f"model.name={args.model}"] if args.model else [])
    return task, task.config(args.preset, overrides)


def cmd_list(args) -> None:
    for name in deeptasks.list_tasks():
        task = deeptasks.get_task(name)
        print(f"{name}: {task.description}")
        print(f"  presets: {', '.join(task.presets)}")
        for spec in task.models.values():
            print(f"  model {spec.name}: {spec.description}")
        for option in task.predict_options:
            print(f"  predict --{option.name.replace('_', '-')}: {option.help}")


def cmd_data(args) -> None:
    task, cfg = _resolve(args)
    print(json.dumps(task.describe_data(cfg), indent=2))


def cmd_train(args) -> None:
    from deeptasks.common.training import train
    from deeptasks.runs import format_report

    task, cfg = _resolve(args)
    workdir = Path(args.workdir or f"runs/{cfg.task}-{cfg.model.name}-{cfg.preset}")
    print(f"training {cfg.task}/{cfg.model.name} (preset {cfg.preset}) in {workdir}", flush=True)
    _, metrics = train(task, cfg, workdir, force=args.force)
    if not metrics["chief"]:
        print(f"worker finished {metrics['epochs']} epochs; the chief writes {workdir}/")
        return
    print(
        f"\ntest split ({metrics['data'].get('corpus', '?')}, {metrics['data']['splits']['test']} "
        f"{task.unit}), trained {metrics['train_seconds']:.0f} s:"
    )
    print(format_report(metrics))
    for split in task.other_test_splits(cfg):
        print(f"\n{split} split ({metrics['data']['splits'][split]} {task.unit}):")
        print(format_report(metrics, split))
    print(
        f"\nartifacts: {workdir}/ (model.keras, metrics.json, samples/: "
        f"{', '.join(Path(s).name for s in metrics['samples'])})"
    )


def cmd_pretrain(args) -> None:
    from deeptasks.common import pretraining

    if args.preset not in pretraining.PRESETS:
        raise UserError(
            f"unknown preset '{args.preset}' for pretrain; valid: {', '.join(pretraining.PRESETS)}"
        )
    cfg = pretraining.PRESETS[args.preset]()
    for name in ("objects", "backbone", "steps", "batch_size", "crop_size", "learning_rate"):
        if getattr(args, name) is not None:
            setattr(cfg, name, getattr(args, name))
    workdir = Path(args.workdir)
    metrics = pretraining.pretrain(cfg, workdir, force=args.force)
    print(f"\ncrop accuracy (top-1) after {metrics['train_seconds']:.0f} s of training:")
    for split, scores in metrics["accuracy"].items():
        print(
            f"  {split}: {scores['accuracy']:.3f} on {scores['crops']} crops "
            f"(majority class {scores['majority_class']:.3f})"
        )
    print(
        f"encoder saved to {metrics['preset']}/; fine-tune from it with "
        f"--set model.backbone_preset={metrics['preset']}"
    )


def cmd_evaluate(args) -> None:
    from deeptasks.common.io import read_json, write_json
    from deeptasks.runs import format_report, load_run

    task, cfg, model = load_run(Path(args.workdir))
    scores = task.evaluate_all(model, cfg)
    metrics_path = Path(args.workdir) / "metrics.json"
    metrics = (
        read_json(metrics_path)
        if metrics_path.exists()
        else {"task": cfg.task, "model_name": cfg.model.name, "preset": cfg.preset}
    )
    metrics.update(scores)
    write_json(metrics_path, metrics)
    for split in scores:
        if len(scores) > 1:
            print(f"{split} split:")
        print(format_report(metrics, split))


def cmd_predict(args) -> None:
    from deeptasks.runs import load_run

    task, cfg, model = load_run(Path(args.workdir))
    options = {o.name: getattr(args, o.name) for o in task.predict_options}
    options = {name: value for name, value in options.items() if value is not None}
    if args.output:
        out_dir = Path(args.output)
    else:  # text tasks print to standard output; the others write files into a folder
        out_dir = None if task.text_output else Path(args.workdir) / "predictions"
    inputs = [Path(p) for p in args.inputs]
    for path in task.predict(model, cfg, inputs, out_dir, force=args.force, **options):
        print(path)


def cmd_export(args) -> None:
    from deeptasks.common.io import refuse_overwrite
    from deeptasks.runs import load_run

    _, _, model = load_run(Path(args.workdir))
    default = "export/savedmodel" if args.format == "savedmodel" else "export/model.tflite"
    target = Path(args.output or Path(args.workdir) / default)
    refuse_overwrite(target, args.force)
    if args.format == "savedmodel":
        model.export(str(target), format="tf_saved_model", verbose=False)
    else:
        import tempfile

        import tensorflow as tf

        from deeptasks.common.io import atomic_write_bytes

        with tempfile.TemporaryDirectory() as tmp:
            model.export(tmp, format="tf_saved_model", verbose=False)
            converter = tf.lite.TFLiteConverter.from_saved_model(tmp)
            atomic_write_bytes(target, converter.convert())
    print(target)


def cmd_bench(args) -> None:
    from deeptasks.common.throughput import scaling
    from deeptasks.runs import load_run

    task, cfg = _resolve(args)
    if args.strategy:  # before any model: the strategy must set up devices first
        cfg.runtime.strategy = args.strategy
        runs = [scaling(task, cfg) for _ in range(args.repeats)]
    else:
        if args.workdir:
            task, cfg, model = load_run(Path(args.workdir))
        else:
            model = task.build_model(cfg)
        runs = [task.bench(model, cfg) for _ in range(args.repeats)]
    print(f"bench {cfg.task}/{cfg.model.name} preset {cfg.preset}: median of {args.repeats} runs")
    for key in runs[0]:
        values = [run[key] for run in runs]
        shown = statistics.median(values) if isinstance(values[0], int | float) else values[0]
        print(f"  {key:32s} {shown}")


def _flag(name: str) -> str:
    return "--" + name.replace("_", "-")


def build_parser(predict_task=None) -> argparse.ArgumentParser:
    """The CLI's parser; ``predict_task``'s own predict options (``Task.predict_options``)
    are added to ``predict`` once the run's task is known."""
    parser = _Parser(prog="deeptasks", description=__doc__.splitlines()[0])
    parser.add_argument("--version", action="version", version=deeptasks.__version__)
    sub = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)
    sub.add_parser("list", help="tasks, models and presets").set_defaults(func=cmd_list)
    p = sub.add_parser("data", help="build/inspect a task's corpus")
    _add_config_args(p)
    p.set_defaults(func=cmd_data)
    p = sub.add_parser("train", help="train, evaluate against the baseline, write artifacts")
    _add_config_args(p)
    p.add_argument("--workdir", help="run directory (default runs/TASK-MODEL-PRESET)")
    p.add_argument("--force", action="store_true", help="replace a finished run in --workdir")
    p.set_defaults(func=cmd_train)
    p = sub.add_parser(
        "pretrain",
        help="pretrain an image encoder on scene crops and save it as a keras-hub preset "
        "that detection and segmentation fine-tune (model.backbone_preset)",
    )
    p.add_argument("--workdir", default="runs/pretrain", help="writes WORKDIR/preset/")
    p.add_argument("--preset", default="default", help="smoke | default")
    p.add_argument("--objects", choices=("auto", "stamps", "shapes"))
    p.add_argument("--backbone", help="a named encoder (resnet_tiny, resnet18, resnet50)")
    p.add_argument("--steps", type=int)
    p.add_argument("--batch-size", type=int)
    p.add_argument("--crop-size", type=int)
    p.add_argument("--learning-rate", type=float)
    p.add_argument("--force", action="store_true", help="replace WORKDIR/preset")
    p.set_defaults(func=cmd_pretrain)
    p = sub.add_parser("evaluate", help="model vs baseline on the test split")
    p.add_argument("--workdir", required=True)
    p.set_defaults(func=cmd_evaluate)
    p = sub.add_parser("predict", help="run a trained model on your files")
    p.add_argument("--workdir", required=True)
    p.add_argument("inputs", nargs="+", metavar="INPUT", help="input files ('-': standard input)")
    p.add_argument(
        "-o",
        "--output",
        help="output folder (default WORKDIR/predictions); text tasks: an output file "
        "(default standard output)",
    )
    p.add_argument("--force", action="store_true", help="overwrite existing outputs")
    p.epilog = "A task's own options (e.g. --sigma for denoising) are listed by 'deeptasks list'."
    for option in predict_task.predict_options if predict_task else ():
        if option.type is bool:  # a switch
            p.add_argument(_flag(option.name), dest=option.name, action="store_const", const=True)
        else:
            p.add_argument(_flag(option.name), dest=option.name, type=option.type, help=option.help)
    p.set_defaults(func=cmd_predict)
    p = sub.add_parser("export", help="export a trained model")
    p.add_argument("--workdir", required=True)
    p.add_argument("--format", choices=("savedmodel", "tflite"), default="savedmodel")
    p.add_argument("-o", "--output", help="output path (default WORKDIR/export/...)")
    p.add_argument("--force", action="store_true")
    p.set_defaults(func=cmd_export)
    p = sub.add_parser("bench", help="throughput of data, training and inference")
    _add_config_args(p)
    p.add_argument("--workdir", help="bench a trained run instead of a fresh model")
    p.add_argument("--repeats", type=int, default=3)
    p.add_argument(
        "--strategy",
        choices=("default", "one_device", "mirrored", "multi_worker", "tpu"),
        help="measure training samples/s per replica under this strategy and the "
        "scaling efficiency against one replica (devices: --set runtime.devices=...)",
    )
    p.set_defaults(func=cmd_bench)
    return parser


def _run_task(workdir: Path):
    from deeptasks.config import read_config_file

    return deeptasks.get_task(read_config_file(workdir / "config.json")["task"])


def main(argv: list[str] | None = None) -> int:
    try:
        args, extra = build_parser().parse_known_args(argv)
        if args.command == "predict":  # parse again, knowing the run's task and its options
            task = _run_task(Path(args.workdir))
            args, extra = build_parser(task).parse_known_args(argv)
            if extra:
                valid = ", ".join(_flag(o.name) for o in task.predict_options) or "none"
                raise UserError(
                    f"{extra[0]} does not apply to {task.name} runs; drop it "
                    f"(its predict options: {valid})"
                )
        elif extra:
            raise UserError(f"unrecognized arguments: {' '.join(extra)} (see 'deeptasks --help')")
        args.func(args)
    except UserError as err:
        print(f"deeptasks: error: {err}", file=sys.stderr)
        return EXIT_USER_ERROR
    except KeyboardInterrupt:
        print("deeptasks: interrupted", file=sys.stderr)
        return 130
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
