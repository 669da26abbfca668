"""Paired statistics of per-(fold, seed) differences between two arms."""
from typing import Callable, Dict, Hashable, Optional, Sequence

import numpy as np

#: Bootstrap resamples of the mean.
N_BOOT = 10000
#: Largest number of pairs :func:`pairs_needed` searches.
MAX_PAIRS = 100000


def cluster_bootstrap_means(values: np.ndarray, groups: Sequence[Hashable], n_boot: int,
                            rng: np.random.Generator) -> np.ndarray:
    """Means of two-stage resamples: groups with replacement, then members within each.

    Pairs of one fold share its held-out films and its GAN, so they are not
    independent; resampling whole folds first carries the fold-to-fold
    spread into the interval that a pair bootstrap leaves out. Each resample
    is the mean over all drawn members (larger groups weigh more, as in the
    plain mean).
    """
    labels = list(dict.fromkeys(groups))
    members = [values[[g == label for g in groups]] for label in labels]
    sizes = np.array([len(m) for m in members])
    slots = len(labels)
    # member_means[g, b, j]: mean of a resample of group g, had slot j of
    # resample b drawn it.
    member_means = np.stack([m[rng.integers(0, len(m), size=(n_boot, slots, len(m)))].mean(-1)
                             for m in members])
    chosen = rng.integers(0, slots, size=(n_boot, slots))
    drawn = member_means[chosen, np.arange(n_boot)[:, None], np.arange(slots)[None, :]]
    weights = sizes[chosen]
    return (drawn * weights).sum(1) / weights.sum(1)


def paired_summary(diffs: Sequence[float], conf: float = 0.95, n_boot: int = N_BOOT,
                   seed: int = 0, groups: Optional[Sequence[Hashable]] = None
                   ) -> Dict[str, Optional[float]]:
    """Mean of paired differences with a t and a bootstrap interval and a Wilcoxon p-value.

    Args:
        diffs: One difference per pair (fold x seed), ``arm - reference``.
        conf: Confidence level of the intervals.
        n_boot: Bootstrap resamples (percentile interval of the resampled means).
        seed: Seed of the bootstrap resampling (the interval is reproducible).
        groups: The cluster of each pair (its fold), for the fold-clustered
            bootstrap interval (:func:`cluster_bootstrap_means`).

    Returns:
        ``dict(n, mean, std, t_low, t_high, boot_low, boot_high, wilcoxon_p)``;
        the spread, intervals and p-value are ``None`` where ``n`` is too
        small (t and bootstrap need 2 pairs). The Wilcoxon signed-rank test
        is two-sided and drops zero differences; all-zero differences give
        ``p = 1``. With ``groups``: also ``groups`` (how many) and
        ``cluster_low`` / ``cluster_high`` (``None`` with fewer than 2 groups).
    """
    from scipy import stats

    if not 0 < conf < 1:
        raise ValueError(f'conf must lie in (0, 1), got {conf}')
    d = np.asarray(diffs, np.float64)
    if d.ndim != 1 or not len(d):
        raise ValueError('paired_summary needs at least one difference')
    if not np.isfinite(d).all():
        raise ValueError(f'paired differences must be finite, got {d.tolist()}')
    if groups is not None and len(groups) != len(d):
        raise ValueError(f'groups: {len(groups)} labels for {len(d)} paired differences')
    out: Dict[str, Optional[float]] = dict(
        n=len(d), mean=float(d.mean()), std=None, t_low=None, t_high=None,
        boot_low=None, boot_high=None, wilcoxon_p=None)
    tail = (1 - conf) / 2 * 100
    if groups is not None:
        out.update(groups=len(set(groups)), cluster_low=None, cluster_high=None)
        if out['groups'] > 1:
            means = cluster_bootstrap_means(d, groups, n_boot, np.random.default_rng(seed + 1))
            out.update(cluster_low=float(np.percentile(means, tail)),
                       cluster_high=float(np.percentile(means, 100 - tail)))
    if len(d) < 2:
        return out
    std = float(d.std(ddof=1))
    half = float(stats.t.ppf(0.5 + conf / 2, len(d) - 1)) * std / np.sqrt(len(d))
    idx = np.random.default_rng(seed).integers(0, len(d), size=(n_boot, len(d)))
    means = d[idx].mean(axis=1)
    nonzero = d[d != 0]
    p = 1.0 if not len(nonzero) else float(stats.wilcoxon(nonzero).pvalue)
    out.update(std=std, t_low=out['mean'] - half, t_high=out['mean'] + half,
               boot_low=float(np.percentile(means, tail)),
               boot_high=float(np.percentile(means, 100 - tail)), wilcoxon_p=p)
    return out


def detectable_effect(std: float, n: int, conf: float = 0.95, power: float = 0.8) -> float:
    """Smallest mean paired difference a two-sided paired t test finds with ``power``.

    The usual approximation ``(t_{1-α/2} + t_power) · std / √n`` with ``n - 1``
    degrees of freedom, ``α = 1 - conf``: what a comparison of ``n`` pairs with
    this spread of differences can see, and so what its null result rules out.

    Args:
        std: Sample std of the paired differences.
        n: Number of pairs (>= 2).
        conf: Confidence level of the test.
        power: Probability of finding the effect.
    """
    from scipy import stats

    if n < 2:
        raise ValueError(f'detectable_effect needs at least 2 pairs, got {n}')
    if not (0 < conf < 1 and 0 < power < 1):
        raise ValueError(f'conf and power must lie in (0, 1), got {conf}, {power}')
    quantiles = stats.t.ppf(0.5 + conf / 2, n - 1) + stats.t.ppf(power, n - 1)
    return float(quantiles * std / np.sqrt(n))


def pairs_needed(std: float, effect: float, conf: float = 0.95, power: float = 0.8,
                 limit: int = MAX_PAIRS) -> Optional[int]:
    """Fewest pairs whose :func:`detectable_effect` is at most ``effect``
    (``None`` beyond ``limit`` or for a non-positive effect)."""
    if std == 0 and effect > 0:
        return 2
    return _fewest(lambda n: detectable_effect(std, n, conf, power), effect, limit)


def _fewest(detectable: Callable[[int], float], effect: float, limit: int) -> Optional[int]:
    """Smallest ``n >= 2`` with ``detectable(n) <= effect`` (``None`` beyond ``limit`` or
    for a non-positive effect); ``detectable`` falls monotonically in ``n``: bisect."""
    if effect <= 0 or detectable(limit) > effect:
        return None
    low, high = 2, limit
    while low < high:
        mid = (low + high) // 2
        if detectable(mid) <= effect:
            high = mid
        else:
            low = mid + 1
    return low


def variance_components(diffs: Sequence[float], groups: Sequence[Hashable]) -> Dict[str, float]:
    """Split the variance of paired differences into between- and within-fold parts.

    Pairs of one fold share its held-out films and its GAN, so a fold adds one effect to
    all its pairs; more detector seeds average the within-fold part only. One-way
    random-effects ANOVA, method of moments (unbalanced folds: the usual ``n0``):
    ``within = MSW``, ``between = max(0, (MSB - MSW) / n0)``.

    Returns:
        ``dict(between, within, groups, pairs, per_group)`` (``per_group``: mean pairs
        per fold).

    Raises:
        ValueError: Fewer than 2 folds, no fold with 2 pairs, or mismatched lengths.
    """
    d = np.asarray(diffs, np.float64)
    if len(groups) != len(d):
        raise ValueError(f'groups: {len(groups)} labels for {len(d)} paired differences')
    labels = list(dict.fromkeys(groups))
    members = [d[[g == label for g in groups]] for label in labels]
    n, k = len(d), len(labels)
    if k < 2 or n <= k:
        raise ValueError(f'variance_components needs >= 2 folds and a fold with >= 2 pairs, '
                         f'got {n} pairs in {k} fold(s)')
    within = sum(float(((m - m.mean()) ** 2).sum()) for m in members) / (n - k)
    msb = sum(len(m) * (m.mean() - d.mean()) ** 2 for m in members) / (k - 1)
    n0 = (n - sum(len(m) ** 2 for m in members) / n) / (k - 1)
    return dict(between=max(0.0, float((msb - within) / n0)), within=within, groups=k,
                pairs=n, per_group=n / k)


def design_detectable_effect(between: float, within: float, folds: int, seeds: int,
                             conf: float = 0.95, power: float = 0.8) -> float:
    """:func:`detectable_effect` of a design of ``folds`` independent folds with
    ``seeds`` detector seeds each, tested on the fold means (``folds - 1`` degrees of
    freedom): the variance of the mean is ``(between + within / seeds) / folds``.
    With ``within = 0`` and one seed it is :func:`detectable_effect` of ``folds`` pairs
    of std ``sqrt(between)``."""
    if seeds < 1:
        raise ValueError(f'seeds must be >= 1, got {seeds}')
    return detectable_effect(float(np.sqrt(between + within / seeds)), folds, conf, power)


def folds_needed(between: float, within: float, seeds: int, effect: float,
                 conf: float = 0.95, power: float = 0.8,
                 limit: int = MAX_PAIRS) -> Optional[int]:
    """Fewest independent folds (``seeds`` detector seeds each) whose
    :func:`design_detectable_effect` is at most ``effect`` (``None`` beyond ``limit``)."""
    return _fewest(lambda k: design_detectable_effect(between, within, k, seeds, conf, power),
                   effect, limit)
