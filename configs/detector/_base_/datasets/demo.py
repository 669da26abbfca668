# The demo detection data (configs/_base_/datasets/demo_detection.py) evaluated
# by COCO bbox mAP / AP50 plus the share of lesions hit by the top-1 / top-2
# detections at IoU >= 0.5.
_base_ = '../../../_base_/datasets/demo_detection.py'

loc_metric = dict(type='LocalizationAccuracy', top_k=[1, 2], iou_thr=0.5)
val_evaluator = [dict(_base_.val_evaluator), loc_metric]
test_evaluator = [dict(_base_.test_evaluator), loc_metric]
