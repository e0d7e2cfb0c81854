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
    """A model builder and what the task needs to know about it."""

    name: str
    build: Callable[..., Any]  # build(cfg) -> uncompiled keras.Model
    description: str = ""
    extra: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Task:
    """A task as a value; see DESIGN.md §2.

    Attributes:
        name: registry name, e.g. ``"super_resolution"``.
        description: one line for ``deeptasks list``.
        presets: preset name -> function returning a fresh :class:`TaskConfig`.
        models: model name -> :class:`ModelSpec`.
        build_dataset: ``(cfg, split, input_context=None) -> tf.data.Dataset`` of ``(x, y)``.
        compile_model: ``(model, cfg) -> None``; compiles with the task's loss and metrics.
        evaluate: ``(model, cfg) -> {"model": {...}, "baseline": {...}, ...}`` on the test split.
        predict: ``(model, cfg, inputs, out_dir, force) -> [written paths]``.
        write_samples: ``(model, cfg, samples_dir) -> [written paths]``.
        describe_data: ``(cfg) -> dict``: corpus name, split sizes and provenance.
        bench: ``(model, cfg) -> dict`` of throughput numbers.
        monitor: the validation metric the best checkpoint keeps and ``"max"``/``"min"``,
            or ``(cfg) -> (metric, mode)`` when it depends on the model.
        check: ``(cfg) -> None``, raises :class:`UserError` for a config that cannot work;
            run on every config a preset and overrides make, before anything is written.
        predict_options: names of extra keyword options ``predict`` takes (CLI flags, e.g.
            ``"sigma"`` -> ``--sigma``).
        callbacks: ``(cfg) -> [keras.callbacks.Callback]`` the driver adds to its own
            (e.g. a fine-tuning schedule).
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
    monitor: tuple[str, str] | Callable[..., tuple[str, str]] = ("val_loss", "min")
    check: Callable[..., None] | None = None
    predict_options: tuple[str, ...] = ()
    callbacks: Callable[..., list] | None = None
    text_output: bool = False
    unit: str = "images"  # what one test example is, for reports ("utterances", ...)

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

    def model_spec(self, cfg: TaskConfig) -> ModelSpec:
        name = cfg.model.name
        if name not in self.models:
            raise UserError(
                f"unknown model '{name}' for {self.name}; valid: {', '.join(self.models)}"
            )
        return self.models[name]

    def build_model(self, cfg: TaskConfig):
        """The named model, compiled with the task's loss and metrics."""
        model = self.model_spec(cfg).build(cfg)
        self.compile_model(model, cfg)
        return model

    def extra_callbacks(self, cfg: TaskConfig) -> list:
        return self.callbacks(cfg) if self.callbacks is not None else []

    def monitor_for(self, cfg: TaskConfig) -> tuple[str, str]:
        return self.monitor(cfg) if callable(self.monitor) else self.monitor

    def datasets(self, cfg: TaskConfig, input_context=None) -> tuple[Any, Any, Any]:
        """``(train, val, test)`` datasets that ``model.fit``/``evaluate`` accept as they are."""
        return tuple(self.build_dataset(cfg, split, input_context) for split in SPLITS)
