"""Paired statistics of per-(fold, seed) differences between two arms."""
from typing import Dict, Optional, Sequence

import numpy as np

#: Bootstrap resamples of the mean.
N_BOOT = 10000


def paired_summary(diffs: Sequence[float], conf: float = 0.95, n_boot: int = N_BOOT,
                   seed: int = 0) -> Dict[str, Optional[float]]:
    """Mean of paired differences with a t and a bootstrap interval and a Wilcoxon p-value.

    Args:
        diffs: One difference per pair (fold x seed), ``arm - reference``.
        conf: Confidence level of both intervals.
        n_boot: Bootstrap resamples (percentile interval of the resampled means).
        seed: Seed of the bootstrap resampling (the interval is reproducible).

    Returns:
        ``dict(n, mean, std, t_low, t_high, boot_low, boot_high, wilcoxon_p)``;
        the spread, intervals and p-value are ``None`` where ``n`` is too
        small (t and bootstrap need 2 pairs). The Wilcoxon signed-rank test
        is two-sided and drops zero differences; all-zero differences give
        ``p = 1``.
    """
    from scipy import stats

    if not 0 < conf < 1:
        raise ValueError(f'conf must lie in (0, 1), got {conf}')
    d = np.asarray(diffs, np.float64)
    if d.ndim != 1 or not len(d):
        raise ValueError('paired_summary needs at least one difference')
    if not np.isfinite(d).all():
        raise ValueError(f'paired differences must be finite, got {d.tolist()}')
    out: Dict[str, Optional[float]] = dict(
        n=len(d), mean=float(d.mean()), std=None, t_low=None, t_high=None,
        boot_low=None, boot_high=None, wilcoxon_p=None)
    if len(d) < 2:
        return out
    std = float(d.std(ddof=1))
    half = float(stats.t.ppf(0.5 + conf / 2, len(d) - 1)) * std / np.sqrt(len(d))
    idx = np.random.default_rng(seed).integers(0, len(d), size=(n_boot, len(d)))
    means = d[idx].mean(axis=1)
    tail = (1 - conf) / 2 * 100
    nonzero = d[d != 0]
    p = 1.0 if not len(nonzero) else float(stats.wilcoxon(nonzero).pvalue)
    out.update(std=std, t_low=out['mean'] - half, t_high=out['mean'] + half,
               boot_low=float(np.percentile(means, tail)),
               boot_high=float(np.percentile(means, 100 - tail)), wilcoxon_p=p)
    return out
