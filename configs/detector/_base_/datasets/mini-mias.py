# mini-MIAS detection data (configs/_base_/datasets/mini-mias_detection.py) with
# the evaluators of ./demo.py.
_base_ = '../../../_base_/datasets/mini-mias_detection.py'

loc_metric = dict(type='LocalizationAccuracy', top_k=[1, 2], iou_thr=0.5)
val_evaluator = [dict(_base_.val_evaluator), loc_metric]
test_evaluator = [dict(_base_.test_evaluator), loc_metric]
