# Smoke run on the demo data (tools/make_demo_data.py -> data/demo/), the main job of
# `make demo`: 20 iterations, batch 2, 256 px, with the RetinaNet on ImageNet
# EfficientNet-Lite0 in the loop; a few minutes on 2 CPU cores.
_base_ = [
    './_base_/models/dgan_retinanet-effnet-lite0.py', './_base_/datasets/demo_unpaired_1xb2.py',
    './_base_/schedules/dgan_20it.py', './_base_/default_runtime.py'
]
default_hooks = dict(checkpoint=dict(interval=10), logger=dict(interval=5))
custom_hooks = [dict(type='GANVisualizationHook', interval=10)]
