# Pilot: the Lite0 RetinaNet at 256 px with flips in all four orientations, +-25 %
# scale jitter and brightness/contrast jitter.
_base_ = '../../../../configs/detector/retinanet_effnet-lite0_1xb4-1000it_mini-mias.py'
img_scale = (256, 256)
train_pipeline = [
    dict(type='mmdet.LoadImageFromFile'),
    dict(type='mmdet.LoadAnnotations', with_bbox=True),
    dict(type='mmdet.RandomResize', scale=img_scale, ratio_range=(0.8, 1.25), keep_ratio=True),
    dict(type='mmdet.RandomFlip', direction=['horizontal', 'vertical', 'diagonal'],
         prob=[0.25, 0.25, 0.25]),
    dict(type='mmdet.PhotoMetricDistortion', brightness_delta=24, contrast_range=(0.75, 1.25),
         saturation_range=(1.0, 1.0), hue_delta=0),
    dict(type='mmdet.PackDetInputs')
]
train_dataloader = dict(dataset=dict(pipeline=train_pipeline))
