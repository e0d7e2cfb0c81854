"""One flat registry from names to objects (tasks, models); a duplicate name is an error."""

from __future__ import annotations

from typing import Any

from deeptasks.errors import UserError

_ENTRIES: dict[str, Any] = {}


def register(kind: str, name: str, obj: Any = None) -> Any:
    """Register ``obj`` as ``kind:name``; usable as a decorator when ``obj`` is omitted."""

    def add(value: Any) -> Any:
        key = f"{kind}:{name}"
        if key in _ENTRIES:
            raise ValueError(f"'{key}' is registered twice")
        _ENTRIES[key] = value
        return value

    return add if obj is None else add(obj)


def names(kind: str, prefix: str = "") -> list[str]:
    """Registered names of one kind, optionally only those starting with ``prefix``."""
    head = f"{kind}:{prefix}"
    return sorted(key.split(":", 1)[1] for key in _ENTRIES if key.startswith(head))


def get(kind: str, name: str, what: str | None = None) -> Any:
    """The object registered as ``kind:name``; a :class:`UserError` lists the valid names."""
    key = f"{kind}:{name}"
    if key not in _ENTRIES:
        valid = ", ".join(names(kind)) or "none"
        raise UserError(f"unknown {what or kind} '{name}'; valid: {valid}")
    return _ENTRIES[key]
