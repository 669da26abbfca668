"""Sigmoid focal loss that never takes mmcv's compiled (once differentiable) kernel."""
from typing import Optional

import torch
import torch.nn.functional as F
from mmdet.models.losses import FocalLoss

from mmdgan.registry import MODELS


@MODELS.register_module()
class PureSigmoidFocalLoss(FocalLoss):
    """mmdet's ``FocalLoss`` forced onto its pure-PyTorch path on every device.

    For CUDA predictions with class-index targets mmdet calls mmcv's compiled
    ``sigmoid_focal_loss``, which is ``once_differentiable``: the exact unroll
    would fail there. Expanding the targets to one-hot first makes mmdet use
    ``py_sigmoid_focal_loss`` (the path it already takes on CPU), whose value
    is the same and whose graph is differentiable to any order.

    Same arguments as ``mmdet.models.losses.FocalLoss``.
    """

    def forward(self,
                pred: torch.Tensor,
                target: torch.Tensor,
                weight: Optional[torch.Tensor] = None,
                avg_factor: Optional[float] = None,
                reduction_override: Optional[str] = None) -> torch.Tensor:
        """Focal loss of logits ``pred`` ``(N, C)`` against class indices
        ``(N,)`` (``C`` = background) or one-hot / soft targets ``(N, C)``."""
        if self.use_sigmoid and not self.activated and target.dim() == pred.dim() - 1:
            num_classes = pred.size(1)
            # Index num_classes is background: its one-hot column is dropped.
            target = F.one_hot(target, num_classes=num_classes + 1)[:, :num_classes]
        return super().forward(pred, target, weight, avg_factor, reduction_override)
