"""InsertionQualityHook: a curve of finite distances, and training left untouched."""
import copy
import json

import numpy as np
import torch
from mmengine.config import Config

from mmdgan.engine.train import train

HOOK = dict(type='InsertionQualityHook', interval=1, num_images=4, batch_size=2,
            clean_ann_file='clean_val.json', embedder=dict(crop_size=32))


def _run(cfg: Config, work_dir, hooks) -> dict:
    cfg = copy.deepcopy(cfg)
    cfg.train_cfg.max_iters = 2
    cfg.val_cfg = cfg.val_dataloader = cfg.val_evaluator = None
    cfg.test_cfg = cfg.test_dataloader = cfg.test_evaluator = None
    cfg.custom_hooks = hooks
    cfg.work_dir = str(work_dir)
    train(cfg)
    return torch.load(work_dir / 'iter_2.pth', map_location='cpu', weights_only=True)


def test_curve_is_written_and_training_is_unchanged(tiny_cfg, tmp_path):
    with_hook = _run(tiny_cfg, tmp_path / 'hook', [HOOK])
    without = _run(tiny_cfg, tmp_path / 'plain', [])
    # The fixed set is drawn under its own seed and the RNGs are restored:
    # the run draws the same boxes and flips, so it ends with the same weights.
    for key, value in without['state_dict'].items():
        assert torch.equal(value, with_hook['state_dict'][key]), key
    report = json.loads((tmp_path / 'hook' / 'insertion_quality.json').read_text())
    assert [p['iter'] for p in report['curve']] == [1, 2]
    assert all(p['frechet'] >= 0 and np.isfinite(p['kernel']) for p in report['curve'])
    assert report['clean']['frechet'] > 0 and report['clean']['kernel'] > 0
    assert report['num_real'] >= 2 and report['num_inserted'] >= 4
    # Every point carries its standard error (both sets have >= 3 crops here).
    assert min(report['num_real'], report['num_inserted']) >= 3
    assert all(p['kernel_se'] > 0 for p in report['curve'])
    assert report['clean']['kernel_se'] > 0
    # The scalars reach the visualizer's backends (LocalVisBackend: scalars.json).
    scalars = list((tmp_path / 'hook').rglob('scalars.json'))
    assert scalars
    logged = scalars[0].read_text()
    assert all(f'insertion/{key}' in logged for key in ('kernel', 'frechet', 'kernel_clean'))


def test_curve_scores_the_moving_average_and_gx_itself(tiny_cfg, tmp_path):
    cfg = copy.deepcopy(tiny_cfg)
    cfg.model.inserter_ema = dict(momentum=0.5)
    _run(cfg, tmp_path / 'ema', [HOOK])
    report = json.loads((tmp_path / 'ema' / 'insertion_quality.json').read_text())
    for point in report['curve']:
        assert {'kernel', 'frechet', 'raw_kernel', 'raw_frechet'} <= set(point)
    # After two generator steps the average lags G_X, so the two insert differently.
    last = report['curve'][-1]
    assert last['raw_kernel'] != last['kernel']
    log = next((tmp_path / 'ema').rglob('*.log')).read_text()
    assert 'moving average; G_X itself: kernel distance' in log
