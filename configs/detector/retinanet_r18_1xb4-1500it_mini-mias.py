# Downstream detector on the real labelled images (Y train) only: the
# "real only" arm of tools/experiments/small_data.py. RetinaNet-R18 from
# scratch at 256 px (the dataset config's scale), batch 4, 1500 iterations.
_base_ = [
    './_base_/models/retinanet_r18_scratch.py',
    '../_base_/datasets/mini-mias_detection.py',
    './_base_/schedules/sgd_1500it.py',
    './_base_/default_runtime.py'
]

# COCO bbox mAP / AP50 plus the share of lesions hit by the top-1 / top-2
# detections at IoU >= 0.5.
loc_metric = dict(type='LocalizationAccuracy', top_k=[1, 2], iou_thr=0.5)
val_evaluator = [dict(_base_.val_evaluator), loc_metric]
test_evaluator = [dict(_base_.test_evaluator), loc_metric]
