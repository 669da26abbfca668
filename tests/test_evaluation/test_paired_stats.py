"""Paired statistics of the comparison: known answers."""
import numpy as np
import pytest

from mmdgan.evaluation.paired_stats import (
    cluster_bootstrap_means,
    design_detectable_effect,
    detectable_effect,
    folds_needed,
    paired_summary,
    pairs_needed,
    variance_components,
)


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


def test_fold_clustered_interval():
    # Three seeds per fold agree closely within a fold, folds disagree: the
    # pairs look like 15 independent draws to the plain bootstrap, but carry
    # only 5 folds' worth of information.
    fold_effect = [0.05, -0.03, 0.04, -0.02, 0.03]
    diffs = [f + 0.001 * s for f in fold_effect for s in range(3)]
    folds = [k for k in range(5) for _ in range(3)]
    s = paired_summary(diffs, groups=folds)
    assert s['groups'] == 5
    assert s['cluster_low'] < s['boot_low'] < s['mean'] < s['boot_high'] < s['cluster_high']
    # ... and matches the bootstrap of the fold means, up to the resampling noise.
    fold_means = paired_summary([np.mean(diffs[3 * k:3 * k + 3]) for k in range(5)])
    assert s['cluster_low'] == pytest.approx(fold_means['boot_low'], abs=0.004)
    assert s['cluster_high'] == pytest.approx(fold_means['boot_high'], abs=0.004)
    assert paired_summary(diffs, groups=folds) == s  # seeded
    # One fold: no clustered interval; the rest is unchanged.
    one_fold = paired_summary(diffs[:3], groups=[0, 0, 0])
    assert one_fold['cluster_low'] is None and one_fold['groups'] == 1
    assert one_fold['boot_low'] == paired_summary(diffs[:3])['boot_low']
    with pytest.raises(ValueError, match='groups: 2 labels for 3'):
        paired_summary(diffs[:3], groups=[0, 1])


def test_cluster_bootstrap_weighs_members_like_the_plain_mean():
    # Groups of one member each: the two-stage resample is the plain one.
    values = np.array([0.0, 1.0, 2.0, 3.0])
    means = cluster_bootstrap_means(values, [0, 1, 2, 3], 20000, np.random.default_rng(0))
    assert means.mean() == pytest.approx(1.5, abs=0.02)
    assert means.std() == pytest.approx(values.std() / 2, abs=0.02)
    # Unequal groups without spread inside: resample means weigh by group size.
    means = cluster_bootstrap_means(np.array([0.0, 0.0, 0.0, 1.0]), ['a', 'a', 'a', 'b'], 4,
                                    np.random.default_rng(1))
    assert set(np.round(means, 6)) <= {0.0, 0.25, 1.0}


def test_detectable_effect_and_pairs_needed():
    # (t(0.975, 4) + t(0.8, 4)) * std / sqrt(5) = (2.7764451 + 0.9409646) * 1.5811388 / sqrt(5).
    assert detectable_effect(1.5811388, 5) == pytest.approx(2.6286055, abs=1e-6)
    # Large n: the normal quantiles, (1.959964 + 0.841621) * std / sqrt(n).
    assert detectable_effect(1.0, 10 ** 6) == pytest.approx(2.801585e-3, rel=1e-4)
    # Pairs needed: the first n whose detectable effect reaches the target.
    n = pairs_needed(0.056, 0.0196)
    assert detectable_effect(0.056, n) <= 0.0196 < detectable_effect(0.056, n - 1)
    assert 60 < n < 70  # (1.96 + 0.84)^2 * (0.056 / 0.0196)^2 = 64, plus the t tails
    assert pairs_needed(0.0, 0.01) == 2
    assert pairs_needed(1.0, 0.0) is None and pairs_needed(1.0, 1e-6, limit=1000) is None
    with pytest.raises(ValueError, match='at least 2 pairs'):
        detectable_effect(1.0, 1)
    with pytest.raises(ValueError, match='power'):
        detectable_effect(1.0, 5, power=1.0)


def test_variance_components_of_a_balanced_design():
    # Fold effects (0.03, -0.01, 0.02, 0.00) and seed offsets (-0.01, 0, +0.01) in every fold:
    # within-fold variance 1e-4 (ddof 1), fold-mean variance var(effects) = 2.9167e-4,
    # so between = 2.9167e-4 - 1e-4 / 3.
    effects, offsets = [0.03, -0.01, 0.02, 0.0], [-0.01, 0.0, 0.01]
    diffs = [e + o for e in effects for o in offsets]
    folds = [k for k in range(4) for _ in offsets]
    parts = variance_components(diffs, folds)
    assert parts['within'] == pytest.approx(1e-4)
    assert parts['between'] == pytest.approx(np.var(effects, ddof=1) - 1e-4 / 3)
    assert (parts['groups'], parts['pairs'], parts['per_group']) == (4, 12, 3.0)
    # No fold effect beyond the seed noise: between is clipped at zero, not negative.
    flat = variance_components([o for _ in effects for o in offsets], folds)
    assert flat['between'] == 0.0 and flat['within'] == pytest.approx(1e-4)
    with pytest.raises(ValueError, match='>= 2 folds'):
        variance_components([0.1, 0.2], [0, 1])
    with pytest.raises(ValueError, match='groups: 1 labels for 2'):
        variance_components([0.1, 0.2], [0])


def test_design_power_on_folds_and_seeds():
    # One seed and no within-fold part: the design is a paired t test on the folds.
    assert design_detectable_effect(0.04 ** 2, 0.0, 10, 1) == pytest.approx(
        detectable_effect(0.04, 10))
    between, within, effect = 0.0007, 0.0008, 0.009
    needed = {s: folds_needed(between, within, s, effect) for s in (1, 3, 100)}
    for seeds, k in needed.items():
        assert design_detectable_effect(between, within, k, seeds) <= effect
        assert design_detectable_effect(between, within, k - 1, seeds) > effect
    # More seeds average only the within-fold part: fewer folds, never below the fold part.
    assert needed[1] > needed[3] > needed[100] >= folds_needed(between, 0.0, 1, effect)
    assert folds_needed(between, within, 3, 0.0) is None
    assert folds_needed(between, within, 3, 1e-6, limit=1000) is None
    with pytest.raises(ValueError, match='seeds must be >= 1'):
        design_detectable_effect(between, within, 5, 0)
