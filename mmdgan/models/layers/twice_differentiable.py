"""Swap the once-differentiable ops of a built mmdet detector for pure-PyTorch ones."""
from typing import Dict, List

import torch.nn as nn

from mmdgan.models.losses.pure_focal_loss import PureSigmoidFocalLoss

from .roi_crop import PureRoIAlign

# mmcv modules whose kernels are ``once_differentiable`` and that have no
# replacement here: the exact unroll cannot pass through them.
_UNSUPPORTED_MMCV_OPS = ('DeformConv2d', 'ModulatedDeformConv2d', 'DeformRoIPool',
                         'ModulatedDeformRoIPool', 'RoIPool', 'CARAFE', 'CARAFENaive',
                         'PSAMask', 'MaskedConv2d', 'MultiScaleDeformableAttention',
                         'SigmoidFocalLoss', 'SoftmaxFocalLoss', 'RoIAlignRotated')


def _replacement(module: nn.Module) -> nn.Module:
    """The twice-differentiable twin of ``module``, or ``module`` itself."""
    from mmcv.ops import RoIAlign
    from mmdet.models.losses import FocalLoss

    if type(module) is RoIAlign:
        if module.pool_mode != 'avg':
            raise ValueError("make_twice_differentiable: mmcv RoIAlign with pool_mode="
                             f"{module.pool_mode!r} has no replacement (only 'avg')")
        return PureRoIAlign(module.output_size, module.spatial_scale, module.sampling_ratio,
                            module.pool_mode, module.aligned)
    if type(module) is FocalLoss:
        return PureSigmoidFocalLoss(
            use_sigmoid=module.use_sigmoid, gamma=module.gamma, alpha=module.alpha,
            reduction=module.reduction, loss_weight=module.loss_weight,
            activated=module.activated)
    return module


def make_twice_differentiable(detector: nn.Module, strict: bool = True) -> Dict[str, List[str]]:
    """Replace, in place, the ops of ``detector`` that break double backward.

    * every ``mmcv.ops.RoIAlign`` (e.g. in ``SingleRoIExtractor``) by
      :class:`PureRoIAlign` (same output);
    * every ``mmdet`` ``FocalLoss`` by :class:`PureSigmoidFocalLoss`, which
      never dispatches to mmcv's CUDA ``sigmoid_focal_loss``.

    Call it once after building the detector (before wrapping it in DDP or
    building optimizers is fine too: no parameter changes).

    Args:
        detector: A built mmdet detector (or any module).
        strict: Raise if a known once-differentiable mmcv op without a
            replacement (deformable convolution, RoIPool, ...) remains.

    Returns:
        ``{'replaced': [module names], 'unsupported': [module names]}``.

    Raises:
        ValueError: ``strict`` and an unsupported op remains.
    """
    import mmcv.ops

    unsupported_types = tuple(
        getattr(mmcv.ops, name) for name in _UNSUPPORTED_MMCV_OPS if hasattr(mmcv.ops, name))
    replaced, unsupported = [], []
    for parent_name, parent in list(detector.named_modules()):
        for child_name, child in list(parent.named_children()):
            full_name = f'{parent_name}.{child_name}' if parent_name else child_name
            new = _replacement(child)
            if new is not child:
                setattr(parent, child_name, new)
                replaced.append(full_name)
            elif isinstance(child, unsupported_types):
                unsupported.append(full_name)
    if strict and unsupported:
        raise ValueError('make_twice_differentiable: these modules are once-differentiable '
                         f'and have no replacement, use the finite-difference unroll: '
                         f'{", ".join(unsupported)}')
    return dict(replaced=replaced, unsupported=unsupported)
