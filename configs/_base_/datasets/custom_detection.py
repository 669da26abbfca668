# Plain mmdet detection on any converted dataset folder (docs/your-data.md). Classes,
# image channels and image size are not written here: `dataset_meta = 'auto'` has
# every mmdgan entry point read them from the folder (its meta.json, or its COCO files
# and images) after --cfg-options, e.g.  --cfg-options data_root=data/my-set/
# (mmdgan/utils/config_from_data.py). Per-class AP is reported.
_base_ = './demo_detection.py'
dataset_meta = 'auto'
data_root = 'data/custom/'
img_scale = 'auto'
train_dataloader = dict(dataset=dict(data_root=data_root, metainfo=None))
val_dataloader = dict(dataset=dict(data_root=data_root, metainfo=None))
test_dataloader = dict(dataset=dict(data_root=data_root, metainfo=None))
val_evaluator = dict(ann_file=data_root + 'val.json', classwise=True)
test_evaluator = dict(ann_file=data_root + 'test.json', classwise=True)
