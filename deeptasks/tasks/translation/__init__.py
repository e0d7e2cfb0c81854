"""Machine translation: the task is assembled in ``task.py``."""
