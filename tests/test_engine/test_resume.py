"""Resume: 4 iterations straight == 2 + resume + 2, weights, optimizer state and image pools."""
import copy

import torch
from mmengine.config import Config

from mmdgan.engine.train import train


def _no_val(cfg: Config, max_iters: int) -> Config:
    cfg.train_cfg.max_iters = max_iters
    cfg.val_cfg = cfg.val_dataloader = cfg.val_evaluator = None
    cfg.test_cfg = cfg.test_dataloader = cfg.test_evaluator = None
    cfg.custom_hooks = []
    return cfg


def _assert_same(a, b, path='checkpoint'):
    if isinstance(a, torch.Tensor):
        assert torch.equal(a, b), path
    elif isinstance(a, dict):
        assert set(a) == set(b), path
        for key in a:
            _assert_same(a[key], b[key], f'{path}.{key}')
    elif isinstance(a, (list, tuple)):
        assert len(a) == len(b), path
        for i, (x, y) in enumerate(zip(a, b)):
            _assert_same(x, y, f'{path}[{i}]')
    else:
        assert a == b, path


def _load(path):
    return torch.load(path, map_location='cpu', weights_only=True)


def test_resume_continues_exactly(tiny_cfg, tmp_path):
    # A pool smaller than the fakes of 4 iterations: after the resume it swaps
    # stored fakes, which only matches the straight run if its state came back.
    tiny_cfg.model.train_cfg.pool_size = 3
    straight = _no_val(copy.deepcopy(tiny_cfg), 4)
    straight.work_dir = str(tmp_path / 'straight')
    train(straight)

    first = _no_val(copy.deepcopy(tiny_cfg), 2)
    first.work_dir = str(tmp_path / 'resumed')
    train(first)
    second = _no_val(copy.deepcopy(tiny_cfg), 4)
    second.work_dir = first.work_dir
    second.resume = True  # auto: the latest checkpoint of the work dir (iter_2)
    runner = train(second)
    assert runner.iter == 4

    ref = _load(tmp_path / 'straight' / 'iter_4.pth')
    out = _load(tmp_path / 'resumed' / 'iter_4.pth')
    assert ref['meta']['iter'] == out['meta']['iter'] == 4
    assert int(out['state_dict']['iteration']) == 4
    _assert_same(ref['state_dict'], out['state_dict'], 'state_dict')
    pools = [k for k in ref['state_dict'] if k.startswith('pools.') and 'extra_state' in k]
    assert len(pools) == 3 and all(len(ref['state_dict'][k]) == 3 for k in pools)
    assert set(ref['optimizer']) == {'generators', 'discriminators', 'detector'}
    assert all(ref['optimizer'][g]['state'] for g in ref['optimizer'])
    _assert_same(ref['optimizer'], out['optimizer'], 'optimizer')
    _assert_same(ref['param_schedulers'], out['param_schedulers'], 'param_schedulers')
