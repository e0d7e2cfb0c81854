from deeptasks.tasks.super_resolution.task import TASK

__all__ = ["TASK"]
