"""Every shipped model config builds and trains one step on a tiny input.

The configs are loaded as the tools load them, pointed at the small demo
dataset of ``tests/conftest.py`` and shrunk to 64 px; the model is built from
the config, one batch comes from the config's own training dataloader, and
one ``train_step`` (forward, losses, backward, optimizer step) must give finite
losses. That exercises the registry names, the ``_base_`` chains, the
pipelines and the model settings together, as a first training iteration would.
"""
import copy
import math
from pathlib import Path

import pytest
import torch
from mmengine.config import Config
from mmengine.optim import build_optim_wrapper
from mmengine.runner import Runner

from mmdgan.registry import MODELS
from mmdgan.utils import load_config, mmdgan_scope

REPO = Path(__file__).resolve().parents[2]
#: Model configs: everything under configs/ but the _base_ parts and the
#: experiment configs (which describe comparisons, not models).
CONFIGS = sorted(p.relative_to(REPO).as_posix() for p in (REPO / 'configs').rglob('*.py')
                 if '_base_' not in p.parts and 'experiments' not in p.parts)
#: The side every image is resized to: small enough for a CPU step in seconds,
#: large enough for five FPN levels and 64-px local crops.
SIZE = (64, 64)


def test_configs_are_found():
    assert len(CONFIGS) > 20
    assert 'configs/dgan_retinanet-effnet-lite0_local-crop_1xb2-1k_demo.py' in CONFIGS


def _datasets(node):
    """Every dataset dict inside a dataset config (the parts of a ConcatDataset too)."""
    yield node
    for child in node.get('datasets', []):
        yield from _datasets(child)


def _resized(pipeline):
    return [dict(t, scale=SIZE) if t['type'].endswith('Resize') else t for t in pipeline]


def tiny_config(config: str, data_root: Path):
    """``config`` loaded by the tools' loader, on ``data_root``, at 64 px, batch 2."""
    root = f'{data_root}/'
    # A generic config reads its classes and channels from its data folder when loaded.
    raw = Config.fromfile(str(REPO / config))
    top = raw.train_dataloader.dataset
    options = {'data_root': root} if 'data_root' in raw else {}
    if 'data_root' in top:
        options['train_dataloader.dataset.data_root'] = root
    for i, part in enumerate(top.get('datasets', [])):
        if 'data_root' in part:
            options[f'train_dataloader.dataset.datasets.{i}.data_root'] = root
    cfg = load_config(str(REPO / config), options)
    loader = cfg.train_dataloader
    loader.update(batch_size=2, num_workers=0, persistent_workers=False)
    for dataset in _datasets(loader.dataset):
        if 'data_root' in dataset:
            dataset.data_root = root
        for key in ('pipeline', 'clean_pipeline', 'labelled_pipeline'):
            if key in dataset:
                dataset[key] = _resized(dataset[key])
        if dataset.get('type') == 'UnpairedDetDataset':
            dataset.box_sampler.ann_file = dataset.labelled_ann_file
    if cfg.model.get('init_from'):  # a stage-1 checkpoint the shipped config names
        cfg.model.init_from = None
    return cfg


@pytest.mark.parametrize('config', CONFIGS)
def test_config_trains_one_step(config, demo_data, monkeypatch):
    monkeypatch.chdir(REPO)
    cfg = tiny_config(config, demo_data)
    torch.manual_seed(0)
    with mmdgan_scope():
        model = MODELS.build(copy.deepcopy(cfg.model))
        optim_wrapper = build_optim_wrapper(model, copy.deepcopy(cfg.optim_wrapper))
        batch = next(iter(Runner.build_dataloader(copy.deepcopy(cfg.train_dataloader), seed=0)))
        log_vars = model.train_step(batch, optim_wrapper)
    losses = {k: float(v) for k, v in log_vars.items() if 'loss' in k}
    assert losses, f'{config}: train_step logged no loss'
    bad = {k: v for k, v in losses.items() if not math.isfinite(v)}
    assert not bad, f'{config}: non-finite losses {bad}'
