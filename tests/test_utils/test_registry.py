"""The mmdgan scope builds mmdet modules and its own side by side."""
import torch
from mmengine.registry import DefaultScope

import mmdgan
from mmdgan.registry import MODELS, TASK_UTILS
from mmdgan.utils import register_all_modules

TINY_RETINANET = dict(
    type='mmdet.RetinaNet',
    data_preprocessor=dict(type='mmdet.DetDataPreprocessor', bgr_to_rgb=False),
    backbone=dict(type='mmdet.ResNet', depth=18, num_stages=4, out_indices=(1, 2, 3),
                  norm_cfg=dict(type='BN'), init_cfg=None),
    neck=dict(type='mmdet.FPN', in_channels=[128, 256, 512], out_channels=32,
              start_level=0, add_extra_convs='on_input', num_outs=3),
    bbox_head=dict(
        type='mmdet.RetinaHead', num_classes=1, in_channels=32, stacked_convs=1,
        feat_channels=32,
        anchor_generator=dict(type='AnchorGenerator', octave_base_scale=4,
                              scales_per_octave=1, ratios=[1.0], strides=[8, 16, 32]),
        bbox_coder=dict(type='DeltaXYWHBBoxCoder', target_means=[0.0] * 4,
                        target_stds=[1.0] * 4),
        loss_cls=dict(type='FocalLoss', use_sigmoid=True, gamma=2.0, alpha=0.25),
        loss_bbox=dict(type='L1Loss')),
    train_cfg=dict(assigner=dict(type='MaxIoUAssigner', pos_iou_thr=0.5, neg_iou_thr=0.4,
                                 min_pos_iou=0, ignore_iof_thr=-1),
                   allowed_border=-1, pos_weight=-1, debug=False),
    test_cfg=dict(nms_pre=100, min_bbox_size=0, score_thr=0.05,
                  nms=dict(type='nms', iou_threshold=0.5), max_per_img=10))


def test_version_and_scope():
    assert isinstance(mmdgan.__version__, str)
    register_all_modules()
    assert DefaultScope.get_current_instance().scope_name == 'mmdgan'


def test_mmdet_detector_builds_from_mmdgan_scope():
    register_all_modules()
    detector = MODELS.build(TINY_RETINANET)
    assert type(detector).__name__ == 'RetinaNet'
    with torch.no_grad():
        feats = detector.extract_feat(torch.zeros(1, 3, 64, 64))
    assert [f.shape[-1] for f in feats] == [8, 4, 2]


def test_own_modules_build_unprefixed():
    register_all_modules()
    generator = MODELS.build(dict(type='MaskedResnetGenerator', in_channels=1,
                                  base_channels=4, num_blocks=1))
    assert generator.in_channels == 1
    # mmdet's task utils stay reachable through the parent registry.
    assigner = TASK_UTILS.build(dict(type='mmdet.MaxIoUAssigner', pos_iou_thr=0.5,
                                     neg_iou_thr=0.4))
    assert type(assigner).__name__ == 'MaxIoUAssigner'


def test_mmdgan_scope_builds_own_modules_after_a_plain_mmdet_run():
    from mmdgan.utils import mmdgan_scope
    with DefaultScope.overwrite_default_scope('mmdet'):
        with mmdgan_scope():
            sampler_cls = TASK_UTILS.get('BoxPriorSampler')
            generator = MODELS.build(dict(type='MaskedResnetGenerator', in_channels=1,
                                          base_channels=4, num_blocks=1))
        assert DefaultScope.get_current_instance().scope_name == 'mmdet'
    assert sampler_cls is not None and generator.in_channels == 1
