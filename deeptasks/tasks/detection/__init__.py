"""Object detection: the task is assembled in ``task.py``."""
