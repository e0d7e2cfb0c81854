"""Language modelling: the task is assembled in ``task.py``."""
