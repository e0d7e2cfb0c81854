from deeptasks.tasks.detection.task import TASK

__all__ = ["TASK"]
