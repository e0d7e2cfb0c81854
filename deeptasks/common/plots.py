"""Figures written next to results, so a person can see what a model does."""

from __future__ import annotations

import io
from pathlib import Path

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

from deeptasks.common.io import atomic_write_bytes  # noqa: E402


def side_by_side(
    path: Path, panels: list[tuple[str, np.ndarray]], title: str = "", zoom: int = 0
) -> Path:
    """Panels in one row (and, with ``zoom`` > 0, a second row of the same centre crop of
    side ``zoom`` so fine detail is visible); written as PNG."""
    rows = 2 if zoom else 1
    fig, axes = plt.subplots(rows, len(panels), figsize=(4 * len(panels), 4 * rows), squeeze=False)
    for column, (name, image) in enumerate(panels):
        views = [image]
        if zoom:
            height, width = image.shape[:2]
            top, left = max((height - zoom) // 2, 0), max((width - zoom) // 2, 0)
            views.append(image[top : top + zoom, left : left + zoom])
        for row, view in enumerate(views):
            axis = axes[row][column]
            axis.imshow(view, cmap="gray" if view.ndim == 2 else None, interpolation="nearest")
            axis.set_xticks([])
            axis.set_yticks([])
            if row == 0:
                axis.set_title(name, fontsize=10)
    if title:
        fig.suptitle(title, fontsize=11)
    fig.tight_layout()
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=100)
    plt.close(fig)
    return atomic_write_bytes(path, buffer.getvalue())
