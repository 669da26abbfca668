# DetectorGAN with a Faster R-CNN-R18 detector: same GANs as the RetinaNet
# variant; only the detector differs. From scratch (init_cfg=None); a local
# backbone checkpoint goes in model.detector.backbone.init_cfg, as there.
_base_ = ['./dgan_retinanet-r18.py']

model = dict(
    detector=dict(
        _delete_=True,
        type='mmdet.FasterRCNN',
        data_preprocessor={{_base_.model.detector.data_preprocessor}},
        backbone={{_base_.model.detector.backbone}},
        neck=dict(
            type='mmdet.FPN', in_channels=[64, 128, 256, 512], out_channels=128, num_outs=5),
        rpn_head=dict(
            type='mmdet.RPNHead',
            in_channels=128,
            feat_channels=128,
            anchor_generator=dict(
                type='AnchorGenerator', scales=[8], ratios=[0.5, 1.0, 2.0],
                strides=[4, 8, 16, 32, 64]),
            bbox_coder=dict(
                type='DeltaXYWHBBoxCoder', target_means=[.0, .0, .0, .0],
                target_stds=[1.0, 1.0, 1.0, 1.0]),
            loss_cls=dict(type='mmdet.CrossEntropyLoss', use_sigmoid=True, loss_weight=1.0),
            loss_bbox=dict(type='mmdet.L1Loss', loss_weight=1.0)),
        roi_head=dict(
            type='mmdet.StandardRoIHead',
            bbox_roi_extractor=dict(
                type='SingleRoIExtractor',
                roi_layer=dict(type='RoIAlign', output_size=7, sampling_ratio=0),
                out_channels=128,
                featmap_strides=[4, 8, 16, 32]),
            bbox_head=dict(
                type='mmdet.Shared2FCBBoxHead',
                in_channels=128,
                fc_out_channels=256,
                roi_feat_size=7,
                num_classes=1,
                bbox_coder=dict(
                    type='DeltaXYWHBBoxCoder', target_means=[0., 0., 0., 0.],
                    target_stds=[0.1, 0.1, 0.2, 0.2]),
                reg_class_agnostic=False,
                loss_cls=dict(
                    type='mmdet.CrossEntropyLoss', use_sigmoid=False, loss_weight=1.0),
                loss_bbox=dict(type='mmdet.L1Loss', loss_weight=1.0))),
        train_cfg=dict(
            rpn=dict(
                assigner=dict(
                    type='MaxIoUAssigner', pos_iou_thr=0.7, neg_iou_thr=0.3, min_pos_iou=0.3,
                    match_low_quality=True, ignore_iof_thr=-1),
                sampler=dict(
                    type='RandomSampler', num=256, pos_fraction=0.5, neg_pos_ub=-1,
                    add_gt_as_proposals=False),
                allowed_border=-1,
                pos_weight=-1,
                debug=False),
            rpn_proposal=dict(
                nms_pre=2000, max_per_img=1000, nms=dict(type='nms', iou_threshold=0.7),
                min_bbox_size=0),
            rcnn=dict(
                assigner=dict(
                    type='MaxIoUAssigner', pos_iou_thr=0.5, neg_iou_thr=0.5, min_pos_iou=0.5,
                    match_low_quality=False, ignore_iof_thr=-1),
                sampler=dict(
                    type='RandomSampler', num=256, pos_fraction=0.25, neg_pos_ub=-1,
                    add_gt_as_proposals=True),
                pos_weight=-1,
                debug=False)),
        test_cfg=dict(
            rpn=dict(
                nms_pre=1000, max_per_img=1000, nms=dict(type='nms', iou_threshold=0.7),
                min_bbox_size=0),
            rcnn=dict(
                score_thr=0.05, nms=dict(type='nms', iou_threshold=0.5), max_per_img=100))))
