"""tools/train.py end to end on the tiny config: checkpoint, grid PNG, COCO eval."""
import cv2
import pytest
import torch

from tests.test_engine.tiny_cfg import TINY_CONFIG, data_options
from tools.train import main as train


def _options(data_root):
    return [f'{k}={v}' for k, v in data_options(data_root).items()]


def test_train_tool_writes_checkpoint_grid_and_evaluates(demo_data, tmp_path):
    work_dir = tmp_path / 'work'
    runner = train([
        str(TINY_CONFIG), '--work-dir', str(work_dir), '--cfg-options',
        *_options(demo_data),
        # Untrained: keep every score so that CocoMetric has something to rate.
        'model.detector.test_cfg.score_thr=0.0'
    ])
    assert runner.iter == 2
    ckpt = torch.load(work_dir / 'iter_2.pth', map_location='cpu', weights_only=True)
    prefixes = {key.split('.')[0] for key in ckpt['state_dict']}
    assert {'generator_x', 'generator_y', 'disc_global_x', 'disc_global_y', 'disc_local_x',
            'detector'} <= prefixes
    assert set(ckpt['optimizer']) == {'generators', 'discriminators', 'detector'}
    grid = cv2.imread(str(work_dir / 'vis' / 'iter_000002.png'))
    assert grid is not None and grid.shape[0] > 5 * 64 and grid.shape[1] > 2 * 64
    assert not list((work_dir / 'vis').glob('*.tmp'))
    assert 'val/coco/bbox_mAP_50' in runner.message_hub.log_scalars


def test_train_tool_resume_without_path_continues(demo_data, tmp_path):
    work_dir = tmp_path / 'work'
    common = [str(TINY_CONFIG), '--work-dir', str(work_dir), '--cfg-options',
              *_options(demo_data), 'val_cfg=None', 'val_dataloader=None', 'val_evaluator=None']
    train(common + ['train_cfg.max_iters=1'])
    runner = train(common[:3] + ['--resume'] + common[3:] + ['train_cfg.max_iters=2'])
    assert runner.iter == 2
    assert (work_dir / 'iter_2.pth').is_file()


def test_train_tool_rejects_a_missing_config(tmp_path):
    with pytest.raises(FileNotFoundError, match='missing.py'):
        train([str(tmp_path / 'missing.py')])
