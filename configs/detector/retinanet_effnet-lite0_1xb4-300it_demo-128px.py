# The quick schedule of the demo comparison (tools/experiments/small_data.py --quick):
# the Lite0 RetinaNet at 128 px, batch 4, 300 iterations. Anchors are halved with the
# image (octave_base_scale 2 -> 1), so anchor-to-lesion sizes stay those of 256 px.
_base_ = './retinanet_effnet-lite0_1xb4-1000it_demo.py'

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
    dict(type='LinearLR', start_factor=0.01, by_epoch=False, begin=0, end=20),
    dict(type='CosineAnnealingLR', begin=20, end=max_iters, T_max=max_iters - 20,
         by_epoch=False, eta_min=0.0)
]
default_hooks = dict(checkpoint=dict(interval=max_iters))
