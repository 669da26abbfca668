# RetinaNet-R18 from scratch trained on the real labelled demo images (Y train),
# 256 px, batch 4, 1500 iterations of SGD 0.01 (steps).
_base_ = [
    './_base_/models/retinanet_r18_scratch.py', './_base_/datasets/demo.py',
    './_base_/schedules/sgd_1500it.py', './_base_/default_runtime.py'
]
