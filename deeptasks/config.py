"""Typed, two-level dataclass configs: presets, ``--set a.b=v`` overrides, JSON round trip.

A task config has four sections (``data``, ``model``, ``train``, ``runtime``), each a
dataclass of plain fields. ``data`` and ``model`` are task-specific; ``train`` and
``runtime`` are shared by every task. A field may list its allowed values with
``choice(...)``; every override and every loaded file is checked against the field's
type and choices, and a mistake raises :class:`UserError` with one line that says
what is valid.
"""

from __future__ import annotations

import dataclasses
import json
import types
import typing
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from deeptasks.errors import UserError

SECTIONS = ("data", "model", "train", "runtime")
_TRUE = {"true", "1", "yes", "on"}
_FALSE = {"false", "0", "no", "off"}


def choice(default: Any, *choices: Any) -> Any:
    """A dataclass field whose value must be one of ``choices``."""
    return field(default=default, metadata={"choices": tuple(choices)})


@dataclass
class TrainConfig:
    """How the shared driver fits a model."""

    epochs: int = 10
    steps_per_epoch: int = 100
    batch_size: int = 16  # global batch: split across replicas
    learning_rate: float = 1e-3
    lr_schedule: str = choice("cosine", "cosine", "constant", "step")
    lr_step_epochs: int = 0  # "step": halve the rate every N epochs
    clipnorm: float = 0.0  # 0 disables gradient clipping
    loss: str = "default"  # task-specific names; "default" lets the task choose
    validation_steps: int = 0  # 0 = the whole validation split
    # Weight averaging (Polyak): 0 = off; e.g. 0.999 keeps an exponential moving average
    # of the weights with that momentum. Validation, the best checkpoint and the saved
    # model then use the averaged weights; training goes on from the raw ones.
    ema: float = 0.0
    seed: int = 1234


@dataclass
class RuntimeConfig:
    """Where and how the computation runs."""

    strategy: str = choice(
        "auto", "auto", "default", "one_device", "mirrored", "multi_worker", "tpu"
    )
    devices: tuple[str, ...] = ()  # for "mirrored"/"one_device"; empty = all local GPUs
    tpu: str = ""  # strategy "tpu": the TPU's name or grpc:// address ("" = local / TPU_NAME)
    mixed_precision: str = choice("float32", "float32", "mixed_float16", "mixed_bfloat16")
    jit_compile: bool = False


@dataclass
class TaskConfig:
    """A resolved config: task name, preset name and the four sections."""

    task: str
    preset: str
    data: Any
    model: Any
    train: TrainConfig = field(default_factory=TrainConfig)
    runtime: RuntimeConfig = field(default_factory=RuntimeConfig)

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    def keys(self) -> list[str]:
        """Every ``section.field`` key that an override may name."""
        return [f"{s}.{f.name}" for s in SECTIONS for f in dataclasses.fields(getattr(self, s))]


def _hints(section: Any) -> dict[str, Any]:
    return typing.get_type_hints(type(section))


_PLURALS = {int: "integers", float: "numbers", bool: "true/false values", str: "strings"}


def _describe(tp: Any) -> str:
    origin = typing.get_origin(tp)
    if origin is tuple:
        return f"a comma-separated list of {_PLURALS.get(typing.get_args(tp)[0], 'values')}"
    if origin in (typing.Union, types.UnionType):
        return " or ".join(_describe(a) for a in typing.get_args(tp))
    return {int: "an integer", float: "a number", bool: "true or false", str: "a string"}.get(
        tp, "null" if tp is type(None) else str(tp)
    )


def _format(value: Any) -> str:
    """A value as it would be written after ``--set key=``."""
    if isinstance(value, tuple):
        return ",".join(map(str, value))
    return str(value).lower() if isinstance(value, bool) else str(value)


def _first_fit(value: Any, union: Any, convert, is_null: bool) -> Any:
    """The value converted to the first member of an Optional/Union type that accepts it."""
    members = typing.get_args(union)
    if is_null and type(None) in members:
        return None
    for member in members:
        if member is not type(None):
            try:
                return convert(value, member)
            except ValueError:
                pass
    raise ValueError(value)


def _parse_text(text: str, tp: Any) -> Any:
    """Turn the text of a ``--set`` value into ``tp``; raise ValueError if it does not fit."""
    origin = typing.get_origin(tp)
    if origin is tuple:
        item = typing.get_args(tp)[0]
        return tuple(_parse_text(t.strip(), item) for t in text.split(",") if t.strip())
    if origin in (typing.Union, types.UnionType):
        return _first_fit(text, tp, _parse_text, text.lower() in ("none", "null"))
    if tp is bool:
        if text.lower() in _TRUE:
            return True
        if text.lower() in _FALSE:
            return False
        raise ValueError(text)
    if tp is int:
        return int(text)
    if tp is float:
        return float(text)
    if tp is str:
        return text
    raise ValueError(text)


def _check_json(value: Any, tp: Any) -> Any:
    """Check a value loaded from JSON against ``tp``; raise ValueError if it does not fit."""
    origin = typing.get_origin(tp)
    if origin is tuple:
        if not isinstance(value, list | tuple):
            raise ValueError(value)
        return tuple(_check_json(v, typing.get_args(tp)[0]) for v in value)
    if origin in (typing.Union, types.UnionType):
        return _first_fit(value, tp, _check_json, value is None)
    if tp is float and isinstance(value, int | float) and not isinstance(value, bool):
        return float(value)
    if tp is int and isinstance(value, int) and not isinstance(value, bool):
        return value
    if tp in (bool, str) and isinstance(value, tp):
        return value
    raise ValueError(value)


def _set(cfg: TaskConfig, key: str, raw: Any, from_text: bool) -> None:
    section_name, _, name = key.partition(".")
    section = getattr(cfg, section_name, None) if section_name in SECTIONS else None
    fields = {f.name: f for f in dataclasses.fields(section)} if section is not None else {}
    if name not in fields:
        raise UserError(f"unknown config key '{key}'; valid keys: {', '.join(cfg.keys())}")
    tp = _hints(section)[name]
    try:
        value = _parse_text(raw, tp) if from_text else _check_json(raw, tp)
    except ValueError:
        raise UserError(
            f"config key '{key}' expects {_describe(tp)}, got {raw!r}; "
            f"e.g. --set {key}={_format(getattr(section, name))}"
        ) from None
    choices = fields[name].metadata.get("choices")
    if choices and value not in choices:
        raise UserError(
            f"config key '{key}' must be one of {', '.join(map(str, choices))}; got {value!r}"
        )
    setattr(section, name, value)


def apply_overrides(cfg: TaskConfig, overrides: list[str] | None) -> TaskConfig:
    """Apply ``["section.field=value", ...]`` to ``cfg`` in place and return it."""
    for item in overrides or []:
        key, sep, raw = item.partition("=")
        if not sep:
            raise UserError(
                f"override '{item}' must look like section.field=value, e.g. train.epochs=3"
            )
        _set(cfg, key.strip(), raw.strip(), from_text=True)
    return cfg


def update_from_dict(cfg: TaskConfig, values: dict[str, Any]) -> TaskConfig:
    """Overlay a nested dict (e.g. a loaded ``config.json``) on ``cfg`` with type checks."""
    for section_name in SECTIONS:
        for name, value in (values.get(section_name) or {}).items():
            _set(cfg, f"{section_name}.{name}", value, from_text=False)
    return cfg


def read_config_file(path: Path) -> dict[str, Any]:
    """Read a ``config.json`` as a dict, with a clear error if it is missing or broken."""
    path = Path(path)
    if not path.is_file():
        raise UserError(
            f"no config at {path}; is this a run directory written by 'deeptasks train'?"
        )
    try:
        values = json.loads(path.read_text())
    except (OSError, json.JSONDecodeError) as err:
        raise UserError(
            f"cannot read {path}: {err}; re-run 'deeptasks train' to rewrite it"
        ) from None
    if not isinstance(values, dict) or "task" not in values:
        raise UserError(f"{path} is not a deeptasks config (no 'task' key)")
    return values
