"""Refuse to write a checkpoint whose weights are not finite; warn when they have diverged."""
import math
from typing import Optional

import torch
from mmengine.hooks import Hook
from mmengine.model import is_model_wrapper

from mmdgan.registry import HOOKS


def first_bad_parameter(model: torch.nn.Module, max_abs: float) -> Optional[tuple]:
    """``(name, largest |value|)`` of the first parameter or buffer that is
    non-finite or larger than ``max_abs`` in magnitude, else ``None``."""
    tensors = [*model.named_parameters(), *model.named_buffers()]
    for name, tensor in tensors:
        if not tensor.is_floating_point() or tensor.numel() == 0:
            continue
        peak = tensor.detach().abs().max().item()
        if not math.isfinite(peak) or peak > max_abs:
            return name, peak
    return None


@HOOKS.register_module()
class FiniteWeightsHook(Hook):
    """Check the model's weights before every checkpoint is written.

    The loss guard of :class:`DetectorGAN` stops training on a non-finite
    loss, but weights can blow up without a non-finite loss (a learning rate
    of 1e30 drives them to 1e28 in one step). This hook makes the guard's
    promise true: a checkpoint is only written with finite weights, so the
    last one on disk is at least finite. Non-finite weights raise
    ``FloatingPointError`` and no checkpoint is written; finite weights above
    ``max_abs`` are written with a warning naming the parameter, since they
    most likely come from a learning rate that is far too high.

    Args:
        max_abs: Magnitude beyond which weights count as diverged.
    """

    priority = 'VERY_HIGH'

    def __init__(self, max_abs: float = 1e6) -> None:
        self.max_abs = float(max_abs)

    def before_save_checkpoint(self, runner, checkpoint: dict) -> None:
        model = runner.model.module if is_model_wrapper(runner.model) else runner.model
        bad = first_bad_parameter(model, self.max_abs)
        if bad is None:
            return
        name, peak = bad
        if not math.isfinite(peak):
            raise FloatingPointError(
                f'weight {name!r} is {peak} after iteration {runner.iter}: no checkpoint '
                'was written for it (the learning rate is likely far too high); '
                'the last checkpoint on disk has finite weights')
        runner.logger.warning(
            f'FiniteWeightsHook: weight {name!r} reaches {peak:.3g} (> {self.max_abs:g}) at '
            f'iteration {runner.iter}; training has most likely diverged (learning rate too '
            'high?). The checkpoint is written, but resuming from it will not recover.')
