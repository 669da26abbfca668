"""Per-class AP in the cross-validated report (several classes, issue 33)."""
import pytest

from mmdgan.experiments.markdown import _per_class_lines
from mmdgan.experiments.statistics import per_class_ap

SETTINGS = dict(arms=['real', 'dgan'], syn_per_real=1.0)


def _unit(arm, fold, kettle, teapot, ratio=None):
    return dict(unit=dict(arm=arm, fold=fold, seed=0, fraction=1.0, gan_seed=0,
                          ratio=(0.0 if arm == 'real' else 1.0) if ratio is None else ratio),
                raw_metrics={'coco/kettle_precision': kettle, 'coco/teapot_precision': teapot,
                             'train/coco/kettle_precision': 0.9, 'coco/bbox_mAP': 0.5})


def test_per_class_ap_over_the_main_pairs():
    units = [_unit('real', 0, 0.2, 0.1), _unit('real', 1, 0.4, 0.3),
             _unit('dgan', 0, 0.5, 0.2), _unit('dgan', 1, 0.7, 0.4),
             _unit('dgan', 0, 0.9, 0.9, ratio=2.0)]  # a sweep unit: not the main comparison
    per = per_class_ap(units, SETTINGS)
    assert per['real']['kettle']['mean'] == pytest.approx(0.3)
    assert per['dgan']['teapot']['mean'] == pytest.approx(0.3)
    assert per['dgan']['teapot']['pairs'] == 2
    assert set(per['dgan']) == {'kettle', 'teapot'}  # training-set scores are not held out
    lines = _per_class_lines(per)
    assert lines[2] == '| arm | kettle | teapot |'
    assert lines[4].startswith('| ') and lines[4].count('|') == 4


def test_one_class_runs_report_no_per_class_table():
    units = [dict(unit=dict(arm='real', fold=0, seed=0, fraction=1.0, gan_seed=0, ratio=0.0),
                  raw_metrics={'coco/bbox_mAP': 0.5})]
    assert per_class_ap(units, SETTINGS) == {} and _per_class_lines({}) == []
