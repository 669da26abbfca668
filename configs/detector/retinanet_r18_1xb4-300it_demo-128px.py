# RetinaNet-R18 from scratch trained on the real labelled demo images at 128 px,
# batch 4, 300 iterations (the quick demo comparison). Anchors are halved with the
# image (octave_base_scale 2 -> 1), so anchor-to-lesion sizes stay those of 256 px.
_base_ = [
    './_base_/models/retinanet_r18_scratch.py', './_base_/datasets/demo-128px.py',
    './_base_/schedules/sgd-step_300it.py', './_base_/default_runtime.py'
]

model = dict(bbox_head=dict(anchor_generator=dict(octave_base_scale=1)))
default_hooks = dict(checkpoint=dict(interval=_base_.max_iters))
