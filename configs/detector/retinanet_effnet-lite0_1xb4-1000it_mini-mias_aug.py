# Real-only mini-MIAS detector with geometric and photometric augmentation (issue 32
# baseline tuning, candidate "aug"): the "geo" candidate plus mmdet's
# PhotoMetricDistortion restricted to what a grey film has, random brightness
# (+-32) and contrast (0.5-1.5). The films load as three identical channels, so
# saturation and hue are pinned (scale 1, shift 0): the transform's HSV round trip
# then returns the grey film unchanged, and its random channel swap permutes
# identical channels, also a no-op.
_base_ = './retinanet_effnet-lite0_1xb4-1000it_mini-mias_geo.py'

grey_photometric = dict(
    type='mmdet.PhotoMetricDistortion', brightness_delta=32, contrast_range=(0.5, 1.5),
    saturation_range=(1.0, 1.0), hue_delta=0)
# Before the affine, so that its black border stays black.
train_pipeline = [*_base_.train_pipeline[:-2], grey_photometric, *_base_.train_pipeline[-2:]]
train_dataloader = dict(dataset=dict(pipeline=train_pipeline))
