"""mmdet's CocoMetric gives the textbook numbers on hand-made predictions.

The downstream comparison reports bbox mAP and AP50 from ``CocoMetric``; these
tests pin what those numbers mean on cases whose answer is known by hand.
"""
import json

import pytest
import torch
from mmdet.evaluation import CocoMetric

#: Four lesions on two 100x100 images (xyxy).
GT = {1: [[10, 10, 30, 30], [50, 50, 80, 70]], 2: [[5, 60, 25, 90], [60, 5, 95, 40]]}


@pytest.fixture
def ann_file(tmp_path):
    images = [dict(id=i, file_name=f'{i}.png', width=100, height=100) for i in GT]
    anns = []
    for img_id, boxes in GT.items():
        for x0, y0, x1, y1 in boxes:
            anns.append(dict(id=len(anns) + 1, image_id=img_id, category_id=1, iscrowd=0,
                             bbox=[x0, y0, x1 - x0, y1 - y0], area=(x1 - x0) * (y1 - y0)))
    path = tmp_path / 'gt.json'
    path.write_text(json.dumps(dict(images=images, annotations=anns,
                                    categories=[dict(id=1, name='lesion')])))
    return str(path)


def _evaluate(ann_file, preds):
    metric = CocoMetric(ann_file=ann_file, metric='bbox')
    metric.dataset_meta = dict(classes=('lesion',))
    samples = []
    for img_id, (boxes, scores) in preds.items():
        samples.append(dict(img_id=img_id, ori_shape=(100, 100), pred_instances=dict(
            bboxes=torch.tensor(boxes, dtype=torch.float32).reshape(-1, 4),
            scores=torch.tensor(scores, dtype=torch.float32),
            labels=torch.zeros(len(scores), dtype=torch.long))))
    metric.process({}, samples)
    return metric.compute_metrics(metric.results)


def test_perfect_predictions(ann_file):
    res = _evaluate(ann_file, {i: (b, [0.9] * len(b)) for i, b in GT.items()})
    assert res['bbox_mAP'] == pytest.approx(1.0)
    assert res['bbox_mAP_50'] == pytest.approx(1.0)


def test_half_the_boxes_found(ann_file):
    # One exact hit per image, nothing else: recall 0.5 at precision 1.
    # COCO interpolates precision at 101 recall points 0, 0.01, ..., 1: the 51
    # points up to recall 0.5 have precision 1, the other 50 have 0.
    preds = {1: ([GT[1][0]], [0.9]), 2: ([GT[2][1]], [0.8])}
    res = _evaluate(ann_file, preds)
    assert res['bbox_mAP_50'] == pytest.approx(51 / 101, abs=1e-3)
    assert res['bbox_mAP'] == pytest.approx(51 / 101, abs=1e-3)


def test_false_positive_ranked_first(ann_file):
    # All four found, but the top-scored detection is a false positive: the
    # precision envelope is 4/5 at every recall point, so AP = 0.8.
    preds = {1: (GT[1] + [[85, 85, 99, 99]], [0.5, 0.5, 0.99]), 2: (GT[2], [0.5, 0.5])}
    res = _evaluate(ann_file, preds)
    assert res['bbox_mAP_50'] == pytest.approx(0.8, abs=1e-3)
