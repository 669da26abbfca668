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
_dataset = dict(type=dataset_type, data_root=data_root, metainfo=metainfo,
                data_prefix=dict(img=''), backend_args=backend_args)
train_dataloader = dict(
    batch_size=4, num_workers=0, persistent_workers=False,
    sampler=dict(type='mmdet.InfiniteSampler', shuffle=True),
    dataset=dict(_dataset, ann_file='train.json', pipeline=train_pipeline,
                 filter_cfg=dict(filter_empty_gt=True, min_size=1)))
val_dataloader = dict(
    batch_size=4, num_workers=0, persistent_workers=False, drop_last=False,
    sampler=dict(type='mmdet.DefaultSampler', shuffle=False),
    dataset=dict(_dataset, ann_file='val.json', test_mode=True, pipeline=test_pipeline))
test_dataloader = dict(
    val_dataloader, dataset=dict(val_dataloader['dataset'], ann_file='test.json'))
val_evaluator = dict(
    type='mmdet.CocoMetric', ann_file=data_root + 'val.json', metric='bbox',
    format_only=False, backend_args=backend_args)
test_evaluator = dict(val_evaluator, ann_file=data_root + 'test.json')
del _dataset
