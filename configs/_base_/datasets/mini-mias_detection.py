# Plain mmdet detection on mini-MIAS converted by tools/dataset_converters/mini_mias.py
# (data/mini-mias/, one 'lesion' class). Same pipelines and scale as the demo data;
# a config that wants another scale overrides the pipelines.
_base_ = './demo_detection.py'
data_root = 'data/mini-mias/'
train_dataloader = dict(dataset=dict(data_root=data_root))
val_dataloader = dict(dataset=dict(data_root=data_root))
test_dataloader = dict(dataset=dict(data_root=data_root))
val_evaluator = dict(ann_file=data_root + 'val.json')
test_evaluator = dict(ann_file=data_root + 'test.json')
