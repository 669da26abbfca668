# Downstream detector on the real labelled images (Y train) only: the
# "real only" arm of tools/experiments/small_data.py. RetinaNet on the ImageNet
# EfficientNet-Lite0 at 256 px (the dataset config's scale), batch 4, 1000 iterations.
_base_ = [
    './_base_/models/retinanet_effnet-lite0.py',
    '../_base_/datasets/demo_detection.py',
    './_base_/schedules/sgd_1000it.py',
    './_base_/default_runtime.py'
]

default_hooks = dict(checkpoint=dict(interval=_base_.max_iters))
# COCO bbox mAP / AP50 plus the share of lesions hit by the top-1 / top-2
# detections at IoU >= 0.5.
loc_metric = dict(type='LocalizationAccuracy', top_k=[1, 2], iou_thr=0.5)
val_evaluator = [dict(_base_.val_evaluator), loc_metric]
test_evaluator = [dict(_base_.test_evaluator), loc_metric]
