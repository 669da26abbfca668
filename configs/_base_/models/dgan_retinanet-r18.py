# DetectorGAN with a RetinaNet-R18 detector, grayscale images, one class.
# Everything trains from scratch (init_cfg=None: nothing is downloaded). To
# start the backbone from a local checkpoint, set e.g.
#   model.detector.backbone.init_cfg=dict(type='Pretrained', checkpoint='/path/resnet18.pth')
gen = dict(type='MaskedResnetGenerator', in_channels=1, base_channels=16, num_blocks=4,
           num_downsamples=2, composite='feather', feather_radius=3)
disc = dict(type='PatchDiscriminator', in_channels=1, base_channels=16, num_layers=3)

model = dict(
    type='DetectorGAN',
    data_preprocessor=dict(type='UnpairedDataPreprocessor'),
    generator_x=gen,
    generator_y=gen,
    disc_global_x=disc,
    disc_global_y=disc,
    disc_local_x=dict(type='LocalPatchDiscriminator', in_channels=1, crop_size=32,
                      base_channels=16, num_layers=2, context=0.5),
    gan_loss=dict(type='GANLoss', gan_type='lsgan'),
    loss_weights=dict(adv_global=1.0, adv_local=1.0, cycle=10.0, identity=5.0, det_syn=1.0),
    unroll=dict(mode='exact', inner_lr=0.01, weight=1.0, fd_eps=0.01),
    disc_steps=1,
    det_warmup_iters=0,
    syn_ratio=0.5,
    target_label=0,
    detector=dict(
        type='mmdet.RetinaNet',
        # Grayscale films are repeated to 3 channels before this normalisation.
        data_preprocessor=dict(
            type='mmdet.DetDataPreprocessor',
            mean=[123.675, 116.28, 103.53],
            std=[58.395, 57.12, 57.375],
            bgr_to_rgb=True,
            pad_size_divisor=32),
        backbone=dict(
            type='mmdet.ResNet',
            depth=18,
            num_stages=4,
            out_indices=(0, 1, 2, 3),
            frozen_stages=-1,
            norm_cfg=dict(type='BN', requires_grad=True),
            norm_eval=False,
            style='pytorch',
            init_cfg=None),
        neck=dict(
            type='mmdet.FPN',
            in_channels=[64, 128, 256, 512],
            out_channels=128,
            start_level=1,
            add_extra_convs='on_input',
            num_outs=5),
        bbox_head=dict(
            type='mmdet.RetinaHead',
            num_classes=1,
            in_channels=128,
            stacked_convs=2,
            feat_channels=128,
            anchor_generator=dict(
                type='AnchorGenerator',
                octave_base_scale=4,
                scales_per_octave=3,
                ratios=[0.5, 1.0, 2.0],
                strides=[8, 16, 32, 64, 128]),
            bbox_coder=dict(
                type='DeltaXYWHBBoxCoder',
                target_means=[.0, .0, .0, .0],
                target_stds=[1.0, 1.0, 1.0, 1.0]),
            loss_cls=dict(
                type='mmdet.FocalLoss', use_sigmoid=True, gamma=2.0, alpha=0.25,
                loss_weight=1.0),
            loss_bbox=dict(type='mmdet.L1Loss', loss_weight=1.0)),
        train_cfg=dict(
            assigner=dict(
                type='MaxIoUAssigner', pos_iou_thr=0.5, neg_iou_thr=0.4, min_pos_iou=0,
                ignore_iof_thr=-1),
            sampler=dict(type='PseudoSampler'),
            allowed_border=-1,
            pos_weight=-1,
            debug=False),
        test_cfg=dict(
            nms_pre=1000, min_bbox_size=0, score_thr=0.05,
            nms=dict(type='nms', iou_threshold=0.5), max_per_img=100)))
