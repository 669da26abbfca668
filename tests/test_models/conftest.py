"""Tiny mmdet detectors and detection batches shared by the model tests."""
from typing import Callable, List, Sequence

import pytest
import torch
from mmdet.structures import DetDataSample
from mmengine.config import ConfigDict
from mmengine.structures import InstanceData

from mmdgan.registry import MODELS
from mmdgan.utils import register_all_modules

register_all_modules()

#: ResNet-18 with 8 base channels (stages 8-16-32-64); frozen stem + stage 1.
TINY_R18 = dict(type='mmdet.ResNet', depth=18, base_channels=8, num_stages=4,
                out_indices=(0, 1, 2, 3), frozen_stages=1, style='pytorch',
                norm_cfg=dict(type='BN', requires_grad=True), init_cfg=None)


def tiny_retinanet_cfg() -> dict:
    """RetinaNet-R18, 1 class; BN in train mode so that buffers would move."""
    return dict(
        type='mmdet.RetinaNet',
        backbone=dict(TINY_R18, norm_eval=False),
        neck=dict(type='mmdet.FPN', in_channels=[8, 16, 32, 64], out_channels=16,
                  start_level=1, add_extra_convs='on_input', num_outs=5),
        bbox_head=dict(
            type='mmdet.RetinaHead', num_classes=1, in_channels=16, stacked_convs=1,
            feat_channels=16,
            anchor_generator=dict(type='mmdet.AnchorGenerator', octave_base_scale=4,
                                  scales_per_octave=2, ratios=[0.5, 1.0, 2.0],
                                  strides=[8, 16, 32, 64, 128]),
            bbox_coder=dict(type='mmdet.DeltaXYWHBBoxCoder', target_means=[0.0] * 4,
                            target_stds=[1.0] * 4),
            loss_cls=dict(type='mmdet.FocalLoss', use_sigmoid=True, gamma=2.0, alpha=0.25,
                          loss_weight=1.0),
            loss_bbox=dict(type='mmdet.L1Loss', loss_weight=1.0)),
        train_cfg=dict(
            assigner=dict(type='mmdet.MaxIoUAssigner', pos_iou_thr=0.5, neg_iou_thr=0.4,
                          min_pos_iou=0, ignore_iof_thr=-1),
            sampler=dict(type='mmdet.PseudoSampler'), allowed_border=-1, pos_weight=-1,
            debug=False),
        test_cfg=dict(nms_pre=100, min_bbox_size=0, score_thr=0.05,
                      nms=dict(type='nms', iou_threshold=0.5), max_per_img=10))


def tiny_faster_rcnn_cfg() -> dict:
    """Faster R-CNN-R18 + FPN, 1 class, mmcv RoIAlign; BN frozen (``norm_eval``)."""
    return dict(
        type='mmdet.FasterRCNN',
        backbone=dict(TINY_R18, norm_eval=True),
        neck=dict(type='mmdet.FPN', in_channels=[8, 16, 32, 64], out_channels=16, num_outs=5),
        rpn_head=dict(
            type='mmdet.RPNHead', in_channels=16, feat_channels=16,
            anchor_generator=dict(type='mmdet.AnchorGenerator', scales=[4], ratios=[0.5, 1.0, 2.0],
                                  strides=[4, 8, 16, 32, 64]),
            bbox_coder=dict(type='mmdet.DeltaXYWHBBoxCoder', target_means=[0.0] * 4,
                            target_stds=[1.0] * 4),
            loss_cls=dict(type='mmdet.CrossEntropyLoss', use_sigmoid=True, loss_weight=1.0),
            loss_bbox=dict(type='mmdet.L1Loss', loss_weight=1.0)),
        roi_head=dict(
            type='mmdet.StandardRoIHead',
            bbox_roi_extractor=dict(
                type='mmdet.SingleRoIExtractor',
                roi_layer=dict(type='RoIAlign', output_size=7, sampling_ratio=0),
                out_channels=16, featmap_strides=[4, 8, 16, 32]),
            bbox_head=dict(
                type='mmdet.Shared2FCBBoxHead', in_channels=16, fc_out_channels=32,
                roi_feat_size=7, num_classes=1,
                bbox_coder=dict(type='mmdet.DeltaXYWHBBoxCoder', target_means=[0.0] * 4,
                                target_stds=[0.1, 0.1, 0.2, 0.2]),
                reg_class_agnostic=False,
                loss_cls=dict(type='mmdet.CrossEntropyLoss', use_sigmoid=False,
                              loss_weight=1.0),
                loss_bbox=dict(type='mmdet.L1Loss', loss_weight=1.0))),
        train_cfg=dict(
            rpn=dict(
                assigner=dict(type='mmdet.MaxIoUAssigner', pos_iou_thr=0.7, neg_iou_thr=0.3,
                              min_pos_iou=0.3, match_low_quality=True, ignore_iof_thr=-1),
                sampler=dict(type='mmdet.RandomSampler', num=64, pos_fraction=0.5,
                             neg_pos_ub=-1, add_gt_as_proposals=False),
                allowed_border=-1, pos_weight=-1, debug=False),
            rpn_proposal=dict(nms_pre=200, max_per_img=50,
                              nms=dict(type='nms', iou_threshold=0.7), min_bbox_size=0),
            rcnn=dict(
                assigner=dict(type='mmdet.MaxIoUAssigner', pos_iou_thr=0.5, neg_iou_thr=0.5,
                              min_pos_iou=0.5, match_low_quality=False, ignore_iof_thr=-1),
                sampler=dict(type='mmdet.RandomSampler', num=32, pos_fraction=0.25,
                             neg_pos_ub=-1, add_gt_as_proposals=True),
                pos_weight=-1, debug=False)),
        test_cfg=dict(
            rpn=dict(nms_pre=200, max_per_img=50, nms=dict(type='nms', iou_threshold=0.7),
                     min_bbox_size=0),
            rcnn=dict(score_thr=0.05, nms=dict(type='nms', iou_threshold=0.5),
                      max_per_img=10)))


TINY_DETECTORS = {'retinanet': tiny_retinanet_cfg, 'faster_rcnn': tiny_faster_rcnn_cfg}


def build_tiny_detector(name: str, seed: int = 0) -> torch.nn.Module:
    """Build one of :data:`TINY_DETECTORS` with a fixed initialisation, in train mode."""
    torch.manual_seed(seed)
    detector = MODELS.build(ConfigDict(TINY_DETECTORS[name]()))
    detector.init_weights()
    return detector.train()


def make_det_samples(boxes: Sequence[Sequence[Sequence[float]]], size: int,
                     dtype: torch.dtype = torch.float32) -> List[DetDataSample]:
    """One ``DetDataSample`` per image with xyxy ``boxes`` (label 0) and the
    metainfo mmdet's losses read (as ``DetDataPreprocessor`` would set it)."""
    samples = []
    for img_boxes in boxes:
        sample = DetDataSample(metainfo=dict(
            img_shape=(size, size), ori_shape=(size, size), pad_shape=(size, size),
            batch_input_shape=(size, size), scale_factor=(1.0, 1.0)))
        sample.gt_instances = InstanceData(
            bboxes=torch.tensor(img_boxes, dtype=dtype).reshape(-1, 4),
            labels=torch.zeros(len(img_boxes), dtype=torch.long))
        samples.append(sample)
    return samples


@pytest.fixture
def det_samples() -> Callable[..., List[DetDataSample]]:
    """Factory fixture for :func:`make_det_samples`."""
    return make_det_samples


@pytest.fixture
def tiny_detector() -> Callable[..., torch.nn.Module]:
    """Factory fixture for :func:`build_tiny_detector` (``'retinanet'``, ``'faster_rcnn'``)."""
    return build_tiny_detector
