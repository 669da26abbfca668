"""The dataset base configs build and yield samples (on the demo data)."""
import copy
from pathlib import Path

import pytest
from mmengine.config import Config

from mmdgan.registry import DATASETS, EVALUATOR
from mmdgan.utils import register_all_modules

CONFIGS = Path(__file__).resolve().parents[2] / 'configs/_base_/datasets'


@pytest.mark.parametrize('name', ['demo_detection', 'mini-mias_detection', 'demo_unpaired',
                                  'mini-mias_unpaired'])
def test_config_builds(name, demo_data):
    register_all_modules()
    cfg = Config.fromfile(str(CONFIGS / f'{name}.py'))
    root = 'data/mini-mias/' if name.startswith('mini') else 'data/demo/'
    assert cfg.train_dataloader.dataset.data_root == root
    assert cfg.val_evaluator.ann_file == root + 'val.json'
    assert cfg.test_dataloader.dataset.ann_file == 'test.json'
    for key in ('train_dataloader', 'val_dataloader', 'test_dataloader'):
        ds_cfg = copy.deepcopy(cfg[key].dataset)
        ds_cfg.data_root = str(demo_data)
        item = DATASETS.build(ds_cfg)[0]
        if 'unpaired' in name and key == 'train_dataloader':
            assert set(item) == {'clean', 'labelled'}
            assert item['clean']['inputs'].shape[0] == 1  # native grey channel
        else:
            assert item['inputs'].shape[0] == 3  # detector input: 3-channel colour
    evaluator = copy.deepcopy(cfg.val_evaluator)
    evaluator.ann_file = str(demo_data / 'val.json')
    EVALUATOR.build(dict(type='Evaluator', metrics=[evaluator]))
