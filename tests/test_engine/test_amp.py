"""Mixed precision with one optim wrapper per group; the unroll stays fp32.

mmengine's AmpOptimWrapper needs CUDA, so the CPU test uses a wrapper with
the same contract (autocast inside ``optim_context``) in bfloat16.
"""
import contextlib
import copy
import importlib

import pytest
import torch
from mmengine.optim import OptimWrapper

from mmdgan.registry import OPTIM_WRAPPERS
from tests.test_engine.tiny_cfg import build_tiny

# ``mmdgan.models.unroll`` the attribute is the function; this is the module.
unroll_module = importlib.import_module('mmdgan.models.unroll')


@OPTIM_WRAPPERS.register_module(force=True)
class CpuAutocastOptimWrapper(OptimWrapper):
    """OptimWrapper whose context autocasts to bfloat16 on CPU (test only)."""

    @contextlib.contextmanager
    def optim_context(self, model):
        with super().optim_context(model), torch.autocast('cpu', dtype=torch.bfloat16):
            yield


def test_train_step_under_autocast_keeps_the_unroll_in_fp32(tiny_cfg, monkeypatch):
    cfg = copy.deepcopy(tiny_cfg)
    for group in ('generators', 'discriminators', 'detector'):
        cfg.optim_wrapper[group].type = 'CpuAutocastOptimWrapper'
    seen = {}
    original = unroll_module.unroll

    def spy(detector, syn_inputs, *args, **kwargs):
        seen['autocast'] = torch.is_autocast_enabled('cpu')
        seen['dtype'] = syn_inputs.dtype
        return original(detector, syn_inputs, *args, **kwargs)

    monkeypatch.setattr(unroll_module, 'unroll', spy)
    model, optim_wrapper, batch = build_tiny(cfg)
    assert all(isinstance(optim_wrapper[g], CpuAutocastOptimWrapper)
               for g in optim_wrapper.keys())
    before = {n: p.detach().clone() for n, p in model.named_parameters()}
    log = model.train_step(batch, optim_wrapper)
    assert seen == dict(autocast=False, dtype=torch.float32)
    assert all(torch.isfinite(v) for v in log.values())
    for name in ('generator_x', 'disc_global_x', 'detector'):
        assert any(not torch.equal(p, before[f'{name}.{n}'])
                   for n, p in getattr(model, name).named_parameters()), name


@pytest.mark.skipif(not torch.cuda.is_available(), reason='AmpOptimWrapper needs CUDA')
def test_amp_optim_wrapper_per_group_on_cuda(tiny_cfg):
    cfg = copy.deepcopy(tiny_cfg)
    for group in ('generators', 'discriminators', 'detector'):
        cfg.optim_wrapper[group].type = 'AmpOptimWrapper'
    model, optim_wrapper, batch = build_tiny(cfg)
    model.cuda()
    scalers = {id(optim_wrapper[g].loss_scaler) for g in optim_wrapper.keys()}
    assert len(scalers) == 3
    log = model.train_step(batch, optim_wrapper)
    assert all(torch.isfinite(v) for v in log.values())
