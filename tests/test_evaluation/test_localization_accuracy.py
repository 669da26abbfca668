"""Known answers of LocalizationAccuracy on hand-made predictions."""
import numpy as np
import pytest
import torch

from mmdgan.evaluation import LocalizationAccuracy, box_iou


def _sample(gt_boxes, pred_boxes, scores, gt_labels=None, pred_labels=None):
    gt_boxes = torch.tensor(gt_boxes, dtype=torch.float32).reshape(-1, 4)
    pred_boxes = torch.tensor(pred_boxes, dtype=torch.float32).reshape(-1, 4)
    if gt_labels is None:
        gt_labels = [0] * len(gt_boxes)
    if pred_labels is None:
        pred_labels = [0] * len(pred_boxes)
    return dict(
        gt_instances=dict(bboxes=gt_boxes, labels=torch.tensor(gt_labels)),
        pred_instances=dict(bboxes=pred_boxes, scores=torch.tensor(scores),
                            labels=torch.tensor(pred_labels)))


def _evaluate(metric, samples):
    metric.process({}, samples)
    return metric.compute_metrics(metric.results)


def test_box_iou_known_values():
    iou = box_iou(np.array([[0, 0, 10, 10]]), np.array([[0, 0, 10, 10], [5, 0, 15, 10],
                                                         [20, 20, 30, 30]]))
    np.testing.assert_allclose(iou, [[1.0, 50 / 150, 0.0]])


def test_top_k_and_iou_thresholds():
    # Image 1: two lesions. The best-scoring detection hits lesion A exactly;
    # the 2nd (score 0.8) is a false positive; the 3rd hits lesion B with
    # IoU 50/150 = 0.33 (half-shifted box).
    img1 = _sample(gt_boxes=[[0, 0, 10, 10], [40, 40, 50, 50]],
                   pred_boxes=[[0, 0, 10, 10], [80, 80, 90, 90], [45, 40, 55, 50]],
                   scores=[0.9, 0.8, 0.7])
    # Image 2: one lesion, found only by the lower-scored of two detections
    # with IoU 64/100 = 0.64 (an 8x8 box inside the 10x10 lesion).
    img2 = _sample(gt_boxes=[[0, 0, 10, 10]],
                   pred_boxes=[[60, 60, 70, 70], [1, 1, 9, 9]], scores=[0.95, 0.2])
    metric = LocalizationAccuracy(top_k=[1, 2, 3], iou_thr=[0.3, 0.5, 0.7])
    res = _evaluate(metric, [img1, img2])
    # top1: only lesion A (IoU 1) at every threshold.
    assert res['acc_top1_iou30'] == pytest.approx(1 / 3)
    assert res['acc_top1_iou70'] == pytest.approx(1 / 3)
    # top2: A, and the 2nd detection of image 2 (IoU 0.64) at T <= 0.5.
    assert res['acc_top2_iou50'] == pytest.approx(2 / 3)
    assert res['acc_top2_iou70'] == pytest.approx(1 / 3)
    # top3: lesion B is reached at T = 0.3 only.
    assert res['acc_top3_iou30'] == pytest.approx(3 / 3)
    assert res['acc_top3_iou50'] == pytest.approx(2 / 3)


def test_ranking_uses_scores_not_order():
    # Predictions listed low-score first: top-1 must still be the 0.9 one.
    img = _sample(gt_boxes=[[0, 0, 10, 10]],
                  pred_boxes=[[50, 50, 60, 60], [0, 0, 10, 10]], scores=[0.1, 0.9])
    assert _evaluate(LocalizationAccuracy(), [img])['acc_top1_iou50'] == 1.0


def test_class_aware_and_score_threshold():
    img = _sample(gt_boxes=[[0, 0, 10, 10]], pred_boxes=[[0, 0, 10, 10]], scores=[0.4],
                  gt_labels=[0], pred_labels=[1])
    assert _evaluate(LocalizationAccuracy(class_aware=True), [img])['acc_top1_iou50'] == 0.0
    assert _evaluate(LocalizationAccuracy(class_aware=False), [img])['acc_top1_iou50'] == 1.0
    assert _evaluate(LocalizationAccuracy(class_aware=False, score_thr=0.5),
                     [img])['acc_top1_iou50'] == 0.0


def test_no_detections_and_raw_instances():
    # Raw ``instances`` take precedence; ignored boxes are not counted.
    img = dict(instances=[dict(bbox=[0, 0, 10, 10], bbox_label=0, ignore_flag=0),
                          dict(bbox=[20, 20, 30, 30], bbox_label=0, ignore_flag=1)],
               pred_instances=dict(bboxes=torch.zeros(0, 4), scores=torch.zeros(0),
                                   labels=torch.zeros(0, dtype=torch.long)))
    metric = LocalizationAccuracy()
    metric.process({}, [img])
    assert metric.results[0]['num_gt'] == 1
    assert metric.compute_metrics(metric.results)['acc_top1_iou50'] == 0.0


def test_bad_arguments():
    with pytest.raises(ValueError, match='top_k'):
        LocalizationAccuracy(top_k=0)
    with pytest.raises(ValueError, match='iou_thr'):
        LocalizationAccuracy(iou_thr=1.5)
    metric = LocalizationAccuracy()
    with pytest.raises(KeyError, match='LoadAnnotations'):
        metric.process({}, [dict(pred_instances=dict(bboxes=torch.zeros(0, 4),
                                                     scores=torch.zeros(0),
                                                     labels=torch.zeros(0)))])
