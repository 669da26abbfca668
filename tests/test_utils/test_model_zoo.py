"""An mmdet model-zoo detector dropped into the DetectorGAN loop by name."""
import pytest

from mmdgan.utils import load_config
from tests.test_tools.test_your_data import TINY, _options

ZOO = 'configs/dgan_faster-rcnn-r50-fpn-mmdet_local-crop_1xb4-2k_custom.py'


def test_zoo_detector_trains_in_the_loop(colour_data, tmp_path):
    from tools.train import main as train

    cfg = load_config(ZOO, {'data_root': str(colour_data)})
    detector = cfg.model.detector
    assert detector.type == 'FasterRCNN' and detector.roi_head.bbox_head.num_classes == 2
    assert detector.backbone.init_cfg is None
    runner = train([ZOO, '--work-dir', str(tmp_path / 'work'), '--cfg-options',
                    f'data_root={colour_data}', *TINY, 'train_cfg.max_iters=1',
                    'train_cfg.val_interval=1', 'default_hooks.checkpoint.interval=1',
                    'model.detector.test_cfg.rcnn.score_thr=0.0'])
    assert runner.iter == 1
    # The unroll ran through the zoo detector: its hypergradient term was logged.
    assert 'train/loss_unroll' in runner.message_hub.log_scalars


def test_a_download_is_refused_with_the_key_to_set(colour_data):
    with pytest.raises(ValueError, match=r'torchvision://resnet50, which would be downloaded; '
                       r'set detector_init_cfg'):
        load_config('configs/dgan_retinanet-effnet-lite0_local-crop_1xb4-2k_custom.py',
                    _options([f'data_root={colour_data}', 'detector_config=mmdet::faster_rcnn/'
                              'faster-rcnn_r50_fpn_1x_coco.py']))
    with pytest.raises(FileNotFoundError, match='detector_config: mmdet::nowhere.py not found'):
        load_config(ZOO, {'data_root': str(colour_data), 'detector_config': 'mmdet::nowhere.py'})
