"""Every shipped config loads and builds its model (the registry names, the _base_ chains)."""
from pathlib import Path

import pytest

from mmdgan.registry import MODELS
from mmdgan.utils import load_config, mmdgan_scope

REPO = Path(__file__).resolve().parents[2]
CONFIGS = sorted(p.relative_to(REPO).as_posix() for p in (REPO / 'configs').rglob('*.py')
                 if '_base_' not in p.parts)


def test_configs_are_found():
    assert len(CONFIGS) > 20
    assert 'configs/dgan_retinanet-effnet-lite0_local-crop_1xb2-1k_demo.py' in CONFIGS


@pytest.mark.parametrize('config', CONFIGS)
def test_config_builds_its_model(config, monkeypatch):
    monkeypatch.chdir(REPO)
    cfg = load_config(config)
    for key in ('model', 'train_dataloader', 'train_cfg', 'optim_wrapper'):
        assert key in cfg, f'{config} has no {key}'
    with mmdgan_scope():
        model = MODELS.build(cfg.model)
    assert sum(p.numel() for p in model.parameters()) > 0
