# Your own converted dataset folder for the downstream detectors (docs/your-data.md):
# classes, image size and data_root are read from the folder (custom_detection.py),
# evaluated like the demo data (COCO AP with per-class AP, localisation accuracy).
_base_ = '../../../_base_/datasets/custom_detection.py'

loc_metric = dict(type='LocalizationAccuracy', top_k=[1, 2], iou_thr=0.5)
val_evaluator = [dict(_base_.val_evaluator), loc_metric]
test_evaluator = [dict(_base_.test_evaluator), loc_metric]
