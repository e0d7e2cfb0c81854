"""Semantic segmentation: the task is assembled in ``task.py``."""
