"""Semantic segmentation: per-pixel classes with mIoU against trivial and colour baselines."""

from deeptasks.tasks.segmentation.task import TASK

__all__ = ["TASK"]
