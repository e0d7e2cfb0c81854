"""The task contract: what every task provides to the driver, the CLI and notebooks."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from deeptasks import registry
from deeptasks.config import TaskConfig, apply_overrides
from deeptasks.errors import UserError

SPLITS = ("train", "val", "test")


@dataclass(frozen=True)
class ModelSpec:
    """A model of a task: its builder, and whatever belongs to that model alone.

    A task's code never branches on a model's name: what differs between its models is
    here, and the task reads it from the spec (see :func:`model_spec`). Each task says in
    its ``models.py`` which hooks it uses and with what signature.

    Attributes:
        name: the model's name within its task (``--model NAME``).
        build: ``build(model_cfg, **facts) -> keras.Model`` (uncompiled); ``facts`` are
            what the task works out from the data once (:attr:`Task.facts`).
        description: one line for ``deeptasks list``.
        loss: the model's own training objective: ``(cfg) -> {"loss": ..., "metrics":
            ...}`` keyword arguments for ``compile``, or None for the task's.
        encode_targets: the model's own target encoding, applied by the task's pipeline
            to its generic targets.
        decode: the model's own output decoding.
        backbone_variables: ``(model) -> variables`` of the part a fine-tune from a
            pretrained preset trains later and slower; None for a model without one.
        monitor: ``(metric, "max"|"min")`` the best checkpoint keeps, when this model's
            differs from the task's.
        extra: other facts about the model the task reads (e.g. its input convention).
    """

    name: str
    build: Callable[..., Any]
    description: str = ""
    loss: Callable[..., dict] | None = None
    encode_targets: Callable[..., Any] | None = None
    decode: Callable[..., Any] | None = None
    backbone_variables: Callable[..., list] | None = None
    monitor: tuple[str, str] | None = None
    extra: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class PredictOption:
    """An extra keyword option of a task's ``predict``, shown as ``--NAME`` by the CLI
    (``type=bool``: a switch that takes no value)."""

    name: str
    type: Callable[[str], Any]
    help: str


@dataclass(frozen=True)
class Task:
    """A task as a value; see DESIGN.md §2 and docs/adding_a_task.md.

    Attributes:
        name: registry name, e.g. ``"super_resolution"``.
        description: one line for ``deeptasks list``.
        presets: preset name -> function returning a fresh :class:`TaskConfig`.
        models: model name -> :class:`ModelSpec`.
        build_dataset: ``(cfg, split, input_context=None) -> tf.data.Dataset`` of ``(x, y)``.
        compile_model: ``(model, cfg) -> None``; compiles with the task's loss and metrics
            (or the model's own, :attr:`ModelSpec.loss`).
        evaluate: ``(model, cfg) -> {"model": {...}, "baseline": {...}, ...}`` on the test split.
        predict: ``(model, cfg, inputs, out_dir, force, **options) -> [written paths]``.
        write_samples: ``(model, cfg, samples_dir) -> [written paths]``.
        describe_data: ``(cfg) -> dict``: corpus name, split sizes and provenance.
        bench: ``(model, cfg) -> dict`` of throughput numbers.
        headline_metric: the metric the README and the notebook lead with (e.g. ``psnr_y``).
        example_inputs: ``(cfg, folder) -> [paths]``: writes a few files ``predict`` takes
            (from the test split) into ``folder``: for docs, demos and the contract test.
        facts: ``(cfg) -> dict`` of what the models are built from besides their own
            config, worked out from the data once (class names, tokenizer, scale...).
        monitor: the validation metric the best checkpoint keeps and ``"max"``/``"min"``
            (a model's :attr:`ModelSpec.monitor` overrides it).
        check: ``(cfg) -> None``, raises :class:`UserError` for a config that cannot work;
            run on every config a preset and overrides make, before anything is written.
        predict_options: the extra keyword options ``predict`` takes (CLI flags).
        callbacks: ``(cfg) -> [keras.callbacks.Callback]`` the driver adds to its own
            (a model with :attr:`ModelSpec.backbone_variables` gets its fine-tuning
            schedule without this).
        other_test_splits: ``(cfg) -> (split, ...)``: splits scored beside ``test`` with
            the same protocol (``evaluate(model, cfg, split=NAME)``), each into its own key
            of ``metrics.json`` and its own table in the reports (e.g. the scenes corpus's
            ``novel`` object pictures).
        unit: what one example of a split is called in reports (images, utterances...).
        text_output: ``predict`` writes text: to standard output when no ``-o`` is given
            (``out_dir`` None), else to the file ``-o`` names.
    """

    name: str
    description: str
    presets: dict[str, Callable[[], TaskConfig]]
    models: dict[str, ModelSpec]
    build_dataset: Callable[..., Any]
    compile_model: Callable[..., None]
    evaluate: Callable[..., dict]
    predict: Callable[..., list[Path]]
    write_samples: Callable[..., list[Path]]
    describe_data: Callable[..., dict]
    bench: Callable[..., dict]
    headline_metric: str
    example_inputs: Callable[..., list[Path]]
    facts: Callable[[TaskConfig], dict[str, Any]] = lambda cfg: {}
    monitor: tuple[str, str] = ("val_loss", "min")
    check: Callable[..., None] | None = None
    predict_options: tuple[PredictOption, ...] = ()
    callbacks: Callable[..., list] | None = None
    text_output: bool = False
    other_test_splits: Callable[[TaskConfig], tuple[str, ...]] = lambda cfg: ()
    unit: str = "images"

    def __post_init__(self) -> None:
        registry.register("task", self.name, self)
        for spec in self.models.values():
            registry.register("model", f"{self.name}.{spec.name}", spec)

    def config(self, preset: str = "default", overrides: list[str] | None = None) -> TaskConfig:
        """A fresh config from a named preset, with ``section.field=value`` overrides applied."""
        if preset not in self.presets:
            raise UserError(
                f"unknown preset '{preset}' for {self.name}; valid: {', '.join(self.presets)}"
            )
        cfg = apply_overrides(self.presets[preset](), overrides)
        self.model_spec(cfg)  # fail early on an unknown model name
        if self.check is not None:
            self.check(cfg)
        return cfg

    def evaluate_all(self, model, cfg: TaskConfig) -> dict[str, dict]:
        """``{"test": evaluate(...), other split: evaluate(..., split=...), ...}``."""
        scores = {"test": self.evaluate(model, cfg)}
        for split in self.other_test_splits(cfg):
            scores[split] = self.evaluate(model, cfg, split=split)
        return scores

    def model_spec(self, cfg: TaskConfig) -> ModelSpec:
        name = cfg.model.name
        if name not in self.models:
            raise UserError(
                f"unknown model '{name}' for {self.name}; valid: {', '.join(self.models)}"
            )
        return self.models[name]

    def build_model(self, cfg: TaskConfig):
        """The named model, built from its config and the task's facts, and compiled."""
        model = self.model_spec(cfg).build(cfg.model, **self.facts(cfg))
        self.compile_model(model, cfg)
        return model

    def extra_callbacks(self, cfg: TaskConfig) -> list:
        """The task's own callbacks, and the head-first schedule of a fine-tune from a
        pretrained backbone (:mod:`deeptasks.common.finetune`)."""
        from deeptasks.common import finetune

        own = self.callbacks(cfg) if self.callbacks is not None else []
        return finetune.schedule_callbacks(cfg, self.model_spec(cfg).backbone_variables) + own

    def monitor_for(self, cfg: TaskConfig) -> tuple[str, str]:
        return self.model_spec(cfg).monitor or self.monitor

    def datasets(self, cfg: TaskConfig, input_context=None) -> tuple[Any, Any, Any]:
        """``(train, val, test)`` datasets that ``model.fit``/``evaluate`` accept as they are."""
        return tuple(self.build_dataset(cfg, split, input_context) for split in SPLITS)


def model_spec(cfg: TaskConfig) -> ModelSpec:
    """The :class:`ModelSpec` that ``cfg`` names, looked up in the registry: how a task's
    data, inference and evaluation code reads what its model owns without importing the
    task's ``models.py``."""
    return registry.get("model", f"{cfg.task}.{cfg.model.name}", "model")
