# The quick real-only detector for your own dataset folder (docs/your-data.md), on the
# 300-iteration cosine schedule of the quick demo comparison; classes and image size
# come from the folder (--cfg-options data_root=PATH).
_base_ = [
    './_base_/models/retinanet_effnet-lite0.py', './_base_/datasets/custom.py',
    './_base_/schedules/sgd-cosine_300it.py', './_base_/default_runtime.py'
]

default_hooks = dict(checkpoint=dict(interval=_base_.max_iters))
