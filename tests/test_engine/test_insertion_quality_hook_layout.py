"""InsertionQualityHook on a COCO dataset of another layout (COCO files of other names,
images under a prefix per part) reads the very images it reads from the contract folder."""
from types import SimpleNamespace

import numpy as np
import pytest
from mmengine.logging import MMLogger

from mmdgan.fileio.dataset_meta import write_dataset_meta
from mmdgan.registry import HOOKS
from mmdgan.utils import register_all_modules
from tests.test_engine.tiny_cfg import load_tiny_cfg
from tests.test_fileio.test_dataset_files import LAYOUT, given_layout, to_other_layout


def _prepared(cfg, work_dir):
    """The hook after ``before_train``: its real crops' features and clean distances."""
    register_all_modules()
    hook = HOOKS.build(dict(type='InsertionQualityHook', num_images=4, batch_size=2,
                            embedder=dict(crop_size=32)))
    hook.before_train(SimpleNamespace(cfg=cfg, logger=MMLogger.get_current_instance(),
                                      work_dir=str(work_dir), iter=0))
    return hook


@pytest.mark.parametrize('recorded', ['meta.json', 'config'])
def test_prefixed_layout_gives_the_contract_folders_sets(recorded, demo_data, tmp_path):
    other = to_other_layout(demo_data, tmp_path / 'prefixed')
    cfg = load_tiny_cfg(other)
    if recorded == 'meta.json':
        write_dataset_meta(other, given_layout())
    else:
        cfg.dataset_files = given_layout()
    # The training set as apply_dataset_meta relocates it; the hook's own files keep
    # their contract names (clean_val.json, train.json), as in the demo configs.
    (train, train_dir), (clean, clean_dir) = LAYOUT['train'], LAYOUT['clean_train']
    cfg.train_dataloader.dataset.update(
        labelled_ann_file=train, data_prefix=dict(img=train_dir), clean_ann_file=clean,
        clean_data_prefix=dict(img=clean_dir))
    cfg.train_dataloader.dataset.box_sampler.ann_file = train
    prefixed = _prepared(cfg, tmp_path / 'work_prefixed')
    contract = _prepared(load_tiny_cfg(demo_data), tmp_path / 'work_contract')
    assert len(prefixed.real) == len(contract.real) >= 2
    assert np.array_equal(prefixed.real, contract.real)
    assert prefixed.num_inserted == contract.num_inserted >= 4
    assert prefixed.clean_distances == contract.clean_distances


def test_a_file_of_no_part_takes_the_training_prefix(demo_data, tmp_path):
    other = to_other_layout(demo_data, tmp_path / 'prefixed')
    cfg = load_tiny_cfg(other, dataset_files=given_layout())
    ann, prefix = LAYOUT['train']
    hook = HOOKS.get('InsertionQualityHook')
    assert hook.locate(cfg, 'clean_val.json', 'x/') == LAYOUT['clean_val']
    assert hook.locate(cfg, ann, 'x/') == (ann, prefix)
    assert hook.locate(cfg, 'folds/fold0/train.json', 'x/') == ('folds/fold0/train.json', 'x/')
