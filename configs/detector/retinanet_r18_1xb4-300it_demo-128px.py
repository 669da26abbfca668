# The quick schedule of the demo comparison (tools/experiments/small_data.py --quick):
# RetinaNet-R18 from scratch at 128 px, batch 4, 300 iterations (about a minute on
# one CPU core). Anchors are halved with the image (octave_base_scale 2 -> 1), so
# anchor-to-lesion sizes stay those of the 256 px config.
_base_ = './retinanet_r18_1xb4-1500it_demo.py'

img_scale = (128, 128)
max_iters = 300
model = dict(bbox_head=dict(anchor_generator=dict(octave_base_scale=1)))


def _rescaled(pipeline):
    return [dict(t, scale=img_scale) if t['type'] == 'mmdet.Resize' else t for t in pipeline]


train_pipeline = _rescaled(_base_.train_pipeline)
test_pipeline = _rescaled(_base_.test_pipeline)
train_dataloader = dict(dataset=dict(pipeline=train_pipeline))
val_dataloader = dict(dataset=dict(pipeline=test_pipeline))
test_dataloader = dict(dataset=dict(pipeline=test_pipeline))

train_cfg = dict(max_iters=max_iters, val_interval=max_iters)
param_scheduler = [
    dict(type='LinearLR', start_factor=0.001, by_epoch=False, begin=0, end=30),
    dict(type='MultiStepLR', begin=0, end=max_iters, by_epoch=False,
         milestones=[200, 270], gamma=0.1)
]
default_hooks = dict(checkpoint=dict(interval=max_iters))
