"""Operating point and per-normal-film detections: known answers."""
import math
import re

import numpy as np
import pytest

from mmdgan.evaluation.operating_point import (
    best_hit_scores,
    operating_point_metrics,
    operating_threshold,
    score_detector,
)

#: Two lesion films (boxes 1, 2 on image 1; box 3 on image 2) and two normal films (3, 4).
COCO = dict(
    images=[dict(id=i, file_name=f'{i}.png', width=100, height=100) for i in (1, 2, 3, 4)],
    annotations=[dict(id=1, image_id=1, category_id=1, bbox=[10, 10, 20, 20]),
                 dict(id=2, image_id=1, category_id=1, bbox=[60, 60, 20, 20]),
                 dict(id=3, image_id=2, category_id=1, bbox=[0, 0, 10, 10])],
    categories=[dict(id=1, name='lesion')])


def _det(image_id, bbox, score, category_id=1):
    return dict(image_id=image_id, bbox=bbox, score=score, category_id=category_id)


DETS = [_det(1, [10, 10, 20, 20], 0.9), _det(1, [11, 11, 20, 20], 0.95),  # both hit box 1
        _det(1, [60, 60, 20, 20], 0.3, category_id=2),  # right place, wrong class
        _det(1, [62, 62, 20, 20], 0.4),  # IoU 0.66 with box 2
        _det(2, [30, 30, 10, 10], 0.8),  # misses box 3
        _det(3, [0, 0, 5, 5], 0.7), _det(3, [50, 50, 5, 5], 0.2), _det(4, [0, 0, 5, 5], 0.5)]


def test_best_hit_scores():
    np.testing.assert_allclose(best_hit_scores(DETS, COCO), [0.95, 0.4, -np.inf])


def test_operating_threshold():
    hits = np.array([0.95, 0.4, -np.inf])
    assert operating_threshold(hits, 0.5) == 0.4  # 2 of 3 needed: the 2nd best hit
    assert operating_threshold(hits, 1 / 3) == 0.95
    assert operating_threshold(hits, 0.8) is None  # the third lesion is never found
    with pytest.raises(ValueError, match='sensitivity'):
        operating_threshold(hits, 0)


def test_operating_point_metrics():
    at = operating_point_metrics(DETS, COCO, 0.4)
    # Normal films 3 and 4: detections 0.7 and 0.5 reach 0.4, 0.2 does not.
    assert at['num_normal'] == 2 and at['det_per_normal'] == 1.0
    assert at['sens_at_op'] == pytest.approx(2 / 3)
    high = operating_point_metrics(DETS, COCO, 0.6)
    assert high['det_per_normal'] == 0.5 and high['sens_at_op'] == pytest.approx(1 / 3)
    no_normals = dict(COCO, images=COCO['images'][:2])
    assert math.isnan(operating_point_metrics(DETS, no_normals, 0.5)['det_per_normal'])


@pytest.mark.parametrize('broken', ['eval', 'train'])
def test_score_detector_names_malformed_ground_truth(broken, malformed_train_json, demo_data,
                                                     tmp_path):
    # Checked before any test pass: neither config nor checkpoint is touched.
    files = {'eval': demo_data / 'train.json', 'train': demo_data / 'train.json'}
    files[broken] = malformed_train_json
    with pytest.raises(ValueError, match=re.escape(f'{malformed_train_json}: annotation 1')):
        score_detector('no_config.py', 'no_checkpoint.pth', str(files['eval']),
                       str(files['train']), tmp_path / 'out')
