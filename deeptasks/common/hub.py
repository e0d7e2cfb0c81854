"""keras-hub presets (a hub name, which needs internet, or a local ``save_to_preset``
folder) loaded with one clear error line instead of a traceback."""

from __future__ import annotations

from pathlib import Path

from deeptasks.errors import UserError


def from_preset(loader, preset: str, what: str, **kwargs):
    """``loader.from_preset(preset, **kwargs)``; ``what`` names the preset in errors."""
    if "://" not in preset and ("/" in preset or preset.startswith(".")):
        if not Path(preset).is_dir():
            raise UserError(f"{what} preset folder not found: {preset}")
    try:
        return loader.from_preset(preset, **kwargs)
    except (ValueError, FileNotFoundError, OSError) as err:
        raise UserError(
            f"cannot load keras-hub {what} preset '{preset}' ({type(err).__name__}); give a "
            "local preset folder (save_to_preset) or a preset name with internet"
        ) from None


def id_rows(found) -> list[list[int]]:
    """A keras-hub tokenizer's output (a ragged tensor, or lists) as lists of ints."""
    found = found.to_list() if hasattr(found, "to_list") else found
    return [[int(i) for i in row] for row in found]
