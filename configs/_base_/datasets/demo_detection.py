# Plain mmdet detection on the Y (labelled) part of the demo data (data/demo/,
# written by tools/make_demo_data.py): train.json / val.json / test.json.
# Grayscale PNGs are loaded as 3-channel colour for the ImageNet-style detector.
dataset_type = 'mmdet.CocoDataset'
data_root = 'data/demo/'
metainfo = dict(classes=('lesion', ))
img_scale = (256, 256)
backend_args = None

train_pipeline = [
    dict(type='mmdet.LoadImageFromFile', backend_args=backend_args),
    dict(type='mmdet.LoadAnnotations', with_bbox=True),
    dict(type='mmdet.Resize', scale=img_scale, keep_ratio=True),
    dict(type='mmdet.RandomFlip', prob=0.5),
    dict(type='mmdet.PackDetInputs')
]
# LoadAnnotations after Resize keeps the ground truth in the original frame,
# where the predictions are rescaled to.
test_pipeline = [
    dict(type='mmdet.LoadImageFromFile', backend_args=backend_args),
    dict(type='mmdet.Resize', scale=img_scale, keep_ratio=True),
    dict(type='mmdet.LoadAnnotations', with_bbox=True),
    dict(type='mmdet.PackDetInputs',
         meta_keys=('img_id', 'img_path', 'ori_shape', 'img_shape', 'scale_factor'))
]
train_dataloader = dict(
    batch_size=4,
    num_workers=0,
    persistent_workers=False,
    sampler=dict(type='mmdet.InfiniteSampler', shuffle=True),
    dataset=dict(
        type=dataset_type,
        data_root=data_root,
        metainfo=metainfo,
        ann_file='train.json',
        data_prefix=dict(img=''),
        filter_cfg=dict(filter_empty_gt=True, min_size=1),
        pipeline=train_pipeline,
        backend_args=backend_args))
val_dataloader = dict(
    batch_size=4,
    num_workers=0,
    persistent_workers=False,
    drop_last=False,
    sampler=dict(type='mmdet.DefaultSampler', shuffle=False),
    dataset=dict(
        type=dataset_type,
        data_root=data_root,
        metainfo=metainfo,
        ann_file='val.json',
        data_prefix=dict(img=''),
        test_mode=True,
        pipeline=test_pipeline,
        backend_args=backend_args))
test_dataloader = dict(
    val_dataloader, dataset=dict(val_dataloader['dataset'], ann_file='test.json'))
val_evaluator = dict(
    type='mmdet.CocoMetric', ann_file=data_root + 'val.json', metric='bbox',
    format_only=False, backend_args=backend_args)
test_evaluator = dict(
    type='mmdet.CocoMetric', ann_file=data_root + 'test.json', metric='bbox',
    format_only=False, backend_args=backend_args)
