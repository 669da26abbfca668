"""DetectorGANOptimWrapperConstructor: one optimizer per disjoint module group."""
import copy

import pytest
import torch
from mmengine.optim import OptimWrapperDict

from mmdgan.engine.optimizers import DetectorGANOptimWrapperConstructor
from mmdgan.models.detector_gan import OPTIM_GROUPS
from tests.test_engine.tiny_cfg import build_tiny


def test_groups_partition_the_parameters(tiny_cfg):
    model, optim_wrapper, _ = build_tiny(tiny_cfg)
    assert isinstance(optim_wrapper, OptimWrapperDict)
    assert set(optim_wrapper.keys()) == set(OPTIM_GROUPS)
    owner = {}
    for group in OPTIM_GROUPS:
        for param_group in optim_wrapper[group].optimizer.param_groups:
            for p in param_group['params']:
                assert id(p) not in owner, f'parameter in {owner.get(id(p))} and {group}'
                owner[id(p)] = group
    for group, attrs in OPTIM_GROUPS.items():
        for attr in attrs:
            for p in getattr(model, attr).parameters():
                assert owner.get(id(p)) == group, attr
    assert len(owner) == sum(1 for _ in model.parameters())
    assert isinstance(optim_wrapper['generators'].optimizer, torch.optim.Adam)
    assert isinstance(optim_wrapper['detector'].optimizer, torch.optim.SGD)
    assert optim_wrapper['detector'].clip_grad_kwargs['max_norm'] == 35


def _stand_in_model(without=()):
    model = torch.nn.Module()
    for attrs in OPTIM_GROUPS.values():
        for attr in attrs:
            setattr(model, attr, None if attr in without else torch.nn.Linear(1, 1))
    return model


def test_missing_or_unknown_group_is_rejected(tiny_cfg):
    cfg = copy.deepcopy(tiny_cfg.optim_wrapper)
    cfg.pop('constructor')
    del cfg['detector']
    # A group may be left out only where the model has no such modules (stage 1).
    with pytest.raises(ValueError, match='missing.*detector'):
        DetectorGANOptimWrapperConstructor(cfg)(_stand_in_model())
    assert set(DetectorGANOptimWrapperConstructor(cfg)(
        _stand_in_model(without=('detector', ))).keys()) == {'generators', 'discriminators'}
    with pytest.raises(ValueError, match='optim_wrapper.generators is set'):
        DetectorGANOptimWrapperConstructor(cfg)(
            _stand_in_model(without=OPTIM_GROUPS['generators']))
    cfg['detector'] = cfg['generators']
    cfg['critic'] = cfg['generators']
    with pytest.raises(ValueError, match='unknown.*critic'):
        DetectorGANOptimWrapperConstructor(cfg)


def test_model_without_a_group_module_is_rejected(tiny_cfg):
    cfg = copy.deepcopy(tiny_cfg.optim_wrapper)
    cfg.pop('constructor')
    constructor = DetectorGANOptimWrapperConstructor(cfg)
    model = torch.nn.Module()
    model.generator_x = torch.nn.Linear(1, 1)
    with pytest.raises(AttributeError, match="'generators'.*generator_y"):
        constructor(model)
