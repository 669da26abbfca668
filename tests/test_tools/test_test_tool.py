"""tools/test.py draws its predictions with mmdet's visualization hook (--show-dir, --show)."""
import json
from pathlib import Path

import cv2
import torch
from mmengine.config import Config

from mmdgan.evaluation.evaluate import show_predictions
from mmdgan.registry import MODELS
from mmdgan.utils import load_config, mmdgan_scope
from tools.test import main

REPO = Path(__file__).resolve().parents[2]
CONFIG = str(REPO / 'configs/detector/retinanet_r18_1xb4-300it_demo-128px.py')


def _options(root: Path) -> list:
    return [f'{key}={root}/{value}' for key, value in (
        ('train_dataloader.dataset.data_root', ''), ('val_dataloader.dataset.data_root', ''),
        ('test_dataloader.dataset.data_root', ''), ('val_evaluator.0.ann_file', 'val.json'),
        ('test_evaluator.0.ann_file', 'test.json'))]


def test_show_dir_writes_one_painted_image_per_test_image(demo_data, tmp_path):
    cfg = load_config(CONFIG)
    with mmdgan_scope():
        detector = MODELS.build(cfg.model)
    checkpoint = tmp_path / 'detector.pth'
    torch.save(dict(state_dict=detector.state_dict(), meta={}), checkpoint)
    work_dir = tmp_path / 'work'
    metrics = main([CONFIG, str(checkpoint), '--work-dir', str(work_dir), '--show-dir', 'painted',
                    '--cfg-options', *_options(demo_data), 'model.test_cfg.score_thr=0.0'])
    assert 'coco/bbox_mAP' in metrics
    painted = sorted(work_dir.glob('*/painted/*.png'))
    images = json.loads((demo_data / 'test.json').read_text())['images']
    assert sorted(p.name for p in painted) == sorted(Path(i['file_name']).name for i in images)
    first = next(i for i in images if Path(i['file_name']).name == painted[0].name)
    # As mmdet draws them: the ground truth beside the predictions, on the original
    # image (not the 128 px network input).
    assert cv2.imread(str(painted[0])).shape[:2] == (first['height'], 2 * first['width'])


def test_show_predictions_adds_the_hook_only_when_asked():
    cfg = Config(dict(default_hooks=dict()))
    show_predictions(cfg)
    assert 'visualization' not in cfg.default_hooks
    show_predictions(cfg, show=True, show_dir='out', wait_time=0.5)
    assert cfg.default_hooks.visualization == dict(
        type='mmdet.DetVisualizationHook', draw=True, show=True, wait_time=0.5,
        test_out_dir='out')
