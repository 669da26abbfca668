"""Paired statistics of the comparison: known answers."""
import pytest

from mmdgan.experiments.paired_stats import paired_summary


def test_known_answers():
    s = paired_summary([1, 2, 3, 4, 5])
    assert s['n'] == 5 and s['mean'] == 3.0
    assert s['std'] == pytest.approx(1.5811388, abs=1e-6)
    # t(0.975, 4) = 2.7764451; half width 2.7764451 * 1.5811388 / sqrt(5) = 1.9632432.
    assert s['t_low'] == pytest.approx(3 - 1.9632432, abs=1e-6)
    assert s['t_high'] == pytest.approx(3 + 1.9632432, abs=1e-6)
    # Exact two-sided signed-rank test: all 5 signs positive -> p = 2 / 2**5.
    assert s['wilcoxon_p'] == pytest.approx(0.0625)
    assert 1.0 <= s['boot_low'] < 3 < s['boot_high'] <= 5.0


def test_bootstrap_of_two_values():
    # Means of resamples of (0, 1): 0, 0.5, 1 with probability 1/4, 1/2, 1/4,
    # so the 2.5 % and 97.5 % percentiles are 0 and 1.
    s = paired_summary([0.0, 1.0])
    assert (s['boot_low'], s['boot_high']) == (0.0, 1.0)
    assert paired_summary([0.0, 1.0]) == s  # seeded: reproducible


def test_signs_and_degenerate_cases():
    neg = paired_summary([-0.02, -0.01, -0.03, -0.015, -0.025, -0.005])
    assert neg['boot_high'] < 0 and neg['t_high'] < 0
    assert neg['wilcoxon_p'] == pytest.approx(2 / 2 ** 6)
    zero = paired_summary([0.0, 0.0, 0.0])
    assert zero['wilcoxon_p'] == 1.0 and zero['boot_low'] == zero['boot_high'] == 0.0
    one = paired_summary([0.5])
    assert one['mean'] == 0.5 and one['std'] is None and one['wilcoxon_p'] is None
    with pytest.raises(ValueError, match='at least one'):
        paired_summary([])
    with pytest.raises(ValueError, match='finite'):
        paired_summary([1.0, float('nan')])
