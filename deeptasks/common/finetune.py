"""Fine-tuning a pretrained part of a model: train the new head first, then the whole
model with a lower rate for the pretrained part.

One optimizer and one ``fit`` serve both phases: :class:`GroupScaledAdam` scales the
gradients of a group of variables (the backbone) by a factor that
:class:`GroupRateSchedule` sets at each epoch start - 0 while the head trains alone, then
``scale``. Because the factor follows the epoch number, a resumed run picks up the right
phase.
"""

from __future__ import annotations

import keras


@keras.saving.register_keras_serializable(package="deeptasks")
class GroupScaledAdam(keras.optimizers.Adam):
    """Adam whose updates of one group of variables are scaled by ``group_scale``.

    The group is set with :meth:`set_group` (not saved: a loaded model is for inference
    or a fresh fine-tune). With the scale at 0 the group is frozen; Adam's moments of
    those variables then stay 0, so they start cleanly when the scale is raised.

    Example:
        >>> optimizer = GroupScaledAdam(1e-3)
        >>> optimizer.set_group(model.backbone.trainable_variables)
        >>> optimizer.group_scale.assign(0.0)  # head only
    """

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.group_scale = keras.Variable(1.0, trainable=False, name="group_scale")
        self._group: set[int] = set()

    def set_group(self, variables) -> None:
        self._group = {id(v) for v in variables}

    def apply(self, grads, trainable_variables=None):
        if self._group and trainable_variables is not None:
            grads = [
                g * self.group_scale if (g is not None and id(v) in self._group) else g
                for g, v in zip(grads, trainable_variables)
            ]
        return super().apply(grads, trainable_variables)


class GroupRateSchedule(keras.callbacks.Callback):
    """Sets the optimizer's ``group_scale``: 0 for the first ``frozen_epochs`` epochs,
    ``scale`` afterwards."""

    def __init__(self, frozen_epochs: int, scale: float):
        super().__init__()
        self.frozen_epochs, self.scale = frozen_epochs, scale

    def on_epoch_begin(self, epoch, logs=None):
        value = 0.0 if epoch < self.frozen_epochs else self.scale
        self.model.optimizer.group_scale.assign(value)


def fine_tuning(cfg, backbone_variables) -> bool:
    """Whether ``cfg`` fine-tunes a pretrained backbone: its model has one
    (``backbone_variables``, from its ``ModelSpec``) and ``model.backbone_preset`` names it."""
    return backbone_variables is not None and bool(getattr(cfg.model, "backbone_preset", ""))


def group_optimizer(model: keras.Model, cfg, backbone_variables) -> GroupScaledAdam:
    """The run's Adam (:func:`make_optimizer`) whose group is the pretrained backbone
    when fine-tuning one (plain Adam behaviour otherwise)."""
    from deeptasks.common.training import make_optimizer

    optimizer = make_optimizer(cfg.train, GroupScaledAdam)
    if fine_tuning(cfg, backbone_variables):
        optimizer.set_group(backbone_variables(model))
    return optimizer


def schedule_callbacks(cfg, backbone_variables) -> list[keras.callbacks.Callback]:
    """When fine-tuning: the head alone for ``model.head_epochs``, then the backbone at
    ``model.backbone_lr_scale`` x the rate."""
    if not fine_tuning(cfg, backbone_variables):
        return []
    return [GroupRateSchedule(cfg.model.head_epochs, cfg.model.backbone_lr_scale)]
