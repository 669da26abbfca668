"""One optimizer per DetectorGAN module group (generators, discriminators, detector)."""
from typing import Dict, Optional, Tuple

import torch.nn as nn
from mmengine.model import is_model_wrapper
from mmengine.optim import DefaultOptimWrapperConstructor, OptimWrapperDict

from mmdgan.models.detector_gan import OPTIM_GROUPS
from mmdgan.registry import OPTIM_WRAPPER_CONSTRUCTORS

#: Attribute names of the modules in each optimizer group.
DEFAULT_GROUPS: Dict[str, Tuple[str, ...]] = OPTIM_GROUPS


@OPTIM_WRAPPER_CONSTRUCTORS.register_module()
class DetectorGANOptimWrapperConstructor:
    """Build an ``OptimWrapperDict`` with one optim wrapper per module group.

    Each group gets the parameters of its modules only, so that e.g. the
    generator optimizer can never move the detector. Example::

        optim_wrapper = dict(
            constructor='DetectorGANOptimWrapperConstructor',
            generators=dict(optimizer=dict(type='Adam', lr=2e-4, betas=(0.5, 0.999))),
            discriminators=dict(optimizer=dict(type='Adam', lr=2e-4, betas=(0.5, 0.999))),
            detector=dict(optimizer=dict(type='SGD', lr=0.01, momentum=0.9),
                          clip_grad=dict(max_norm=35, norm_type=2)))

    Each group's dict is a normal optim wrapper config (``type`` defaults to
    ``OptimWrapper``; ``AmpOptimWrapper`` for mixed precision) and may carry
    its own ``paramwise_cfg``.

    A group whose modules the model sets to ``None`` (the ``detector`` of a
    stage-1 DetectorGAN) must be left out, and only such a group.

    Args:
        optim_wrapper_cfg: One optim wrapper config per group.
        paramwise_cfg: A ``paramwise_cfg`` applied to groups that give none.
        groups: Group name -> module attribute names; defaults to
            :data:`DEFAULT_GROUPS`.
    """

    def __init__(self,
                 optim_wrapper_cfg: dict,
                 paramwise_cfg: Optional[dict] = None,
                 groups: Optional[Dict[str, Tuple[str, ...]]] = None) -> None:
        if not isinstance(optim_wrapper_cfg, dict):
            raise TypeError(f'optim_wrapper_cfg must be a dict, got {type(optim_wrapper_cfg)}')
        self.groups = dict(groups or DEFAULT_GROUPS)
        unknown = set(optim_wrapper_cfg) - set(self.groups)
        if unknown:
            raise ValueError(
                f'optim_wrapper must have exactly the groups {sorted(self.groups)}; '
                f'unknown: {sorted(unknown)}')
        self.constructors = {}
        for name, cfg in optim_wrapper_cfg.items():
            cfg = dict(cfg)
            if 'optimizer' not in cfg:
                raise ValueError(f'optim_wrapper.{name} has no optimizer')
            cfg.setdefault('type', 'OptimWrapper')
            group_paramwise = cfg.pop('paramwise_cfg', paramwise_cfg)
            self.constructors[name] = DefaultOptimWrapperConstructor(cfg, group_paramwise)

    def __call__(self, model: nn.Module) -> OptimWrapperDict:
        """Build the optim wrappers for the groups of ``model``."""
        if is_model_wrapper(model):
            model = model.module
        wrappers = {}
        for name, attrs in self.groups.items():
            missing = [a for a in attrs if not hasattr(model, a)]
            if missing:
                raise AttributeError(f'optimizer group {name!r}: the model has no '
                                     f'module(s) {missing}')
            absent = all(getattr(model, a) is None for a in attrs)
            if absent and name in self.constructors:
                raise ValueError(f'optim_wrapper.{name} is set but the model\'s {list(attrs)} '
                                 'is None (e.g. a stage-1 model without a detector): remove '
                                 'it')
            if absent:
                continue
            if name not in self.constructors:
                raise ValueError(f'optim_wrapper must have exactly the groups '
                                 f'{sorted(self.groups)}; missing: {name!r}')
            # A container keeps paramwise options (e.g. norm decay) working on
            # the real submodules; the names only matter for custom_keys.
            group = nn.ModuleDict({a: getattr(model, a) for a in attrs})
            wrappers[name] = self.constructors[name](group)
        return OptimWrapperDict(**wrappers)
