"""Image denoising: the task is assembled in ``task.py``."""
