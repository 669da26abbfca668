# Real-only RetinaNet on ImageNet EfficientNet-Lite0 for your own dataset folder
# (docs/your-data.md); classes and image size come from the folder:
#   python tools/train.py configs/detector/retinanet_effnet-lite0_1xb4-1000it_custom.py \
#       --cfg-options data_root=data/my-set/
_base_ = [
    './_base_/models/retinanet_effnet-lite0.py', './_base_/datasets/custom.py',
    './_base_/schedules/sgd_1000it.py', './_base_/default_runtime.py'
]

default_hooks = dict(checkpoint=dict(interval=_base_.max_iters))
