"""CTC speech recognition: the task is assembled in ``task.py``."""
