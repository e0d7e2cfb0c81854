"""Single-image super-resolution: the task is assembled in ``task.py``."""
