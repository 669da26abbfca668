# RetinaNet on the ImageNet EfficientNet-Lite0 trained on the real labelled
# mini-MIAS films (Y train), 256 px, batch 4, 1000 iterations of SGD 0.0025 (cosine).
_base_ = [
    './_base_/models/retinanet_effnet-lite0.py', './_base_/datasets/mini-mias.py',
    './_base_/schedules/sgd_1000it.py', './_base_/default_runtime.py'
]

default_hooks = dict(checkpoint=dict(interval=_base_.max_iters))
