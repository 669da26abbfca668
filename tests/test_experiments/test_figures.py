"""What the learning-curve figure draws (:mod:`mmdgan.experiments.figures`)."""
import numpy as np
import pytest

from mmdgan.experiments.figures import curve_points
from mmdgan.experiments.report import write_cv_report
from tests.test_experiments.cv_units import SETTINGS, _unit, _units


@pytest.fixture
def curve(tmp_path):
    """Real and DetectorGAN at 50 / 100 %, the steps-matched control at 50 % alone and on
    fold 0 only (3 of the 6 planned pairs)."""
    settings = dict(SETTINGS, arms=[*SETTINGS['arms'], 'real-steps'],
                    lc_control_arms=['real-steps'])
    units = _units() + [_unit('real-steps', 0, seed, 0.05 + 0.002 * seed, fraction=0.5,
                              ratio=0.0) for seed in (0, 1, 2)]
    results = write_cv_report(units, settings, tmp_path, 'python run.py')
    assert (tmp_path / 'learning_curve.png').stat().st_size > 0
    return results['learning_curve'], settings


def test_an_arm_of_one_fraction_gets_an_interval(curve):
    """A band along a line of one point draws nothing: the points carry the interval."""
    lc, settings = curve
    steps = curve_points(lc, 'AP50', settings)['real-steps']
    j = 0  # fractions in order: 0.5, 1.0
    mean = np.mean([0.05, 0.052, 0.054])
    assert steps['mean'][j] == pytest.approx(mean)
    assert steps['low'][j] < mean < steps['high'][j]
    assert np.isnan(steps['mean'][1])  # no control at 100 %
    # DetectorGAN's paired difference to the control (the lower panel's reference) at 50 %.
    dgan = curve_points(lc, 'AP50', settings)['dgan']
    assert dgan['has_diff'] and dgan['diff_low'][j] <= dgan['diff'][j] <= dgan['diff_high'][j]


def test_arms_are_dodged_apart_and_running_points_count_the_planned_pairs(curve):
    lc, settings = curve
    points = curve_points(lc, 'AP50', settings)
    at_half = sorted(p['x'][0] for p in points.values())
    assert len(set(at_half)) == len(points) and at_half[0] < 0.5 < at_half[-1]
    assert all(abs(np.log2(x / 0.5)) < 0.2 for x in at_half)  # still read as 50 %
    assert points['real-steps']['running'] == {'0.5': '3/6'}
    assert points['dgan']['running'] == {}
    # Without the settings the label falls back to the most pairs any arm has.
    assert curve_points(lc, 'AP50')['real-steps']['running'] == {'0.5': '3/6'}
