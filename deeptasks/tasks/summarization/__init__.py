"""Summarization: the task is assembled in ``task.py``."""
