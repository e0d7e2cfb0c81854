"""Machine translation: GRU with additive attention and a Transformer, on DDTP pairs."""

from deeptasks.tasks.translation.task import TASK

__all__ = ["TASK"]
