from deeptasks.tasks.denoising.task import TASK

__all__ = ["TASK"]
