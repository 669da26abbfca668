# A tiny DetectorGAN for CPU tests: the demo config at 64 px with a few
# channels everywhere. Tests set the data_root of the dataloaders.
_base_ = ['../../../configs/dgan_retinanet-r18_1xb2-20it_demo.py']

img_scale = (64, 64)
clean_pipeline = [
    dict(type='mmdet.LoadImageFromFile', color_type='unchanged'),
    dict(type='mmdet.Resize', scale=img_scale, keep_ratio=True),
    dict(type='mmdet.PackDetInputs')
]
labelled_pipeline = [
    dict(type='mmdet.LoadImageFromFile', color_type='unchanged'),
    dict(type='mmdet.LoadAnnotations', with_bbox=True),
    dict(type='mmdet.Resize', scale=img_scale, keep_ratio=True),
    dict(type='mmdet.PackDetInputs')
]
test_pipeline = [
    dict(type='mmdet.LoadImageFromFile'),
    dict(type='mmdet.Resize', scale=img_scale, keep_ratio=True),
    dict(type='mmdet.LoadAnnotations', with_bbox=True),
    dict(type='mmdet.PackDetInputs',
         meta_keys=('img_id', 'img_path', 'ori_shape', 'img_shape', 'scale_factor'))
]
gen = dict(base_channels=4, num_blocks=1, num_downsamples=1, composite='hard')
disc = dict(base_channels=4, num_layers=2)
model = dict(
    generator_x=gen,
    generator_y=gen,
    disc_global_x=disc,
    disc_global_y=disc,
    disc_local_x=dict(crop_size=16, base_channels=4, num_layers=2),
    detector=dict(
        backbone=dict(base_channels=8),
        neck=dict(in_channels=[8, 16, 32, 64], out_channels=16),
        bbox_head=dict(in_channels=16, feat_channels=16, stacked_convs=1)))
train_dataloader = dict(
    batch_size=2,
    dataset=dict(clean_pipeline=clean_pipeline, labelled_pipeline=labelled_pipeline))
val_dataloader = dict(batch_size=2, dataset=dict(pipeline=test_pipeline))
test_dataloader = dict(batch_size=2, dataset=dict(pipeline=test_pipeline))
train_cfg = dict(max_iters=2, val_interval=2)
default_hooks = dict(checkpoint=dict(interval=1), logger=dict(interval=1))
custom_hooks = [dict(type='GANVisualizationHook', interval=1)]
