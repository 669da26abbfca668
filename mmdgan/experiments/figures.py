"""The figures of the cross-validated report, drawn from the numbers of :mod:`.statistics`."""
from pathlib import Path
from typing import Dict, Optional

import numpy as np

from mmdgan.fileio import atomic_path

from .arms import ARMS, steps_controls
from .statistics import (
    CURVE_METRICS,
    GOAL_RATIO,
    METRIC_TITLES,
    REFERENCES,
    paired_rows,
    planned_pairs,
    still_running,
)


def _pyplot():
    """matplotlib's pyplot on the file-only Agg backend (no display on a cluster)."""
    import matplotlib
    matplotlib.use('Agg')
    import matplotlib.pyplot as plt
    return plt


def _save(fig, path: Path, dpi: int) -> None:
    """Lay out ``fig``, write it atomically as a 128-colour palette PNG (a chart has few
    colours: a third of the RGB file's bytes, and results/ is committed) and free it."""
    from PIL import Image

    fig.tight_layout()
    with atomic_path(path) as tmp:
        fig.savefig(tmp, dpi=dpi, format='png')
        Image.open(tmp).convert('RGB').quantize(colors=128).save(tmp, format='PNG', optimize=True)
    _pyplot().close(fig)


def bar_chart(summary: Dict[str, dict], path: Path, metric: str = 'AP50',
              title: str = '{metric} per arm (mean ± std over seeds; dots: seeds)') -> None:
    """Bars of the mean with std error bars and the per-seed values as dots."""
    plt = _pyplot()

    labels = [e['label'].replace('real + ', '+ ') for e in summary.values()]
    means = [e[metric]['mean'] for e in summary.values()]
    stds = [e[metric]['std'] for e in summary.values()]
    fig, ax = plt.subplots(figsize=(1.6 * len(labels) + 2, 3.6))
    x = np.arange(len(labels))
    ax.bar(x, means, yerr=stds, capsize=5, color='#7aa6c2', edgecolor='black')
    for i, e in enumerate(summary.values()):
        vals = [v[metric] for v in e['per_seed'].values()]
        ax.scatter(np.full(len(vals), i), vals, color='black', s=12, zorder=3)
    ax.set_xticks(x)
    ax.set_xticklabels(labels, rotation=20, ha='right', fontsize=8)
    ax.set_ylabel(metric)
    ax.set_title(title.format(metric=metric))
    _save(fig, path, dpi=120)


def curve_reference(lc: Dict[str, dict]) -> str:
    """The arm the curve's lower panels pair against: a steps-matched control on the
    curve (equal optimiser steps, the fair reference of an augmented arm), else real-only."""
    refs = {k[len('paired_vs_'):] for per in lc.values() for e in per.values() for k in e
            if k.startswith('paired_vs_')}
    return next((a for a in steps_controls(refs)), 'real')


#: How far apart (in log2 of the fraction) the arms' points at one fraction are drawn, so
#: that arms with close means, and their intervals, stay apart.
CURVE_DODGE = 0.045


def curve_points(lc: Dict[str, dict], metric: str, settings: Optional[dict] = None
                 ) -> Dict[str, dict]:
    """What :func:`learning_curve_chart` draws for ``metric``, per arm: ``x`` (the fraction,
    dodged per arm), ``mean`` and its 95 % t interval ``low`` / ``high`` (pair level), the
    paired difference to :func:`curve_reference` ``diff`` / ``diff_low`` / ``diff_high``
    (95 % bootstrap), and ``running``: per fraction still short of its pairs, the label
    ``done/planned`` (``planned_pairs`` with ``settings``; else the most any arm has)."""
    from scipy import stats

    every = sorted({f for per in lc.values() for f in per}, key=float)
    ref, running, out = curve_reference(lc), still_running(lc), {}
    planned = {f: planned_pairs(settings, float(f)) for f in every} if settings else {}
    for i, (arm, per) in enumerate(lc.items()):
        shift = 2 ** (CURVE_DODGE * (i - (len(lc) - 1) / 2))
        mean, half = [], []
        for f in every:
            e = per.get(f)
            n = e['pairs'] if e and metric in e else 0
            mean.append(e[metric]['mean'] if n else np.nan)
            half.append(stats.t.ppf(0.975, n - 1) * e[metric]['std'] / np.sqrt(n)
                        if n > 1 else np.nan)
        diffs = [per.get(f, {}).get(f'paired_vs_{ref}', {}).get(metric) or {} for f in every]
        mean, half = np.array(mean), np.array(half)
        out[arm] = dict(
            x=np.array([float(f) for f in every]) * shift, mean=mean, low=mean - half,
            high=mean + half, has_diff=arm != ref and any(diffs),
            diff=np.array([d.get('mean', np.nan) for d in diffs]),
            diff_low=np.array([np.nan if d.get('boot_low') is None else d['boot_low']
                               for d in diffs]),
            diff_high=np.array([np.nan if d.get('boot_high') is None else d['boot_high']
                                for d in diffs]),
            running={f: f'{running[arm, f][0]}/{planned.get(f) or running[arm, f][1]}'
                     for f in every if (arm, f) in running})
    return out


def _interval_plot(ax, x, mid, low, high, colour, **line) -> None:
    """A line through ``mid`` with its interval as a band where the line has two points
    or more, and as error bars at every point (a band of one point draws nothing)."""
    ax.plot(x, mid, marker='o', color=colour, **line)
    ax.fill_between(x, low, high, color=colour, alpha=0.12)
    ok = ~np.isnan(mid) & ~np.isnan(low)
    ax.errorbar(x[ok], mid[ok], yerr=[mid[ok] - low[ok], high[ok] - mid[ok]], fmt='none',
                ecolor=colour, elinewidth=1.2, capsize=3)


def learning_curve_chart(lc: Dict[str, dict], path: Path,
                         settings: Optional[dict] = None) -> None:
    """Every metric of :data:`.CURVE_METRICS` against the fraction of labelled films (log
    scale), one line per arm, the arms' points dodged apart at each fraction. Upper row:
    mean over fold × seed pairs with its 95 % t interval (pairs of one fold are not
    independent: a pair-level interval). Lower row: the paired difference to
    :func:`curve_reference` with its 95 % bootstrap interval. Intervals are bands along a
    line and bars at every point. Hollow points labelled ``done/planned``: an arm still
    running at that fraction (:func:`curve_points`)."""
    plt = _pyplot()
    every = sorted({float(f) for per in lc.values() for f in per})
    ref = curve_reference(lc)
    fig, axes = plt.subplots(2, len(CURVE_METRICS), figsize=(4.0 * len(CURVE_METRICS), 6.2),
                             sharex=True, squeeze=False)
    for col, metric in enumerate(CURVE_METRICS):
        top, bottom = axes[0, col], axes[1, col]
        for i, (arm, pts) in enumerate(curve_points(lc, metric, settings).items()):
            colour = plt.get_cmap('tab10')(i % 10)
            _interval_plot(top, pts['x'], pts['mean'], pts['low'], pts['high'], colour,
                           label=ARMS[arm].label)
            for f, label in pts['running'].items():  # a partial mean is over other films
                j = every.index(float(f))
                top.plot(pts['x'][j], pts['mean'][j], marker='o', ms=8, color=colour,
                         mfc='white', zorder=3)
                top.annotate(label, (pts['x'][j], pts['mean'][j]), fontsize=7,
                             xytext=(4, 2), textcoords='offset points', color=colour)
            if pts['has_diff']:
                _interval_plot(bottom, pts['x'], pts['diff'], pts['diff_low'],
                               pts['diff_high'], colour)
        top.set_title(METRIC_TITLES[metric], fontsize=9)
        bottom.axhline(0, color='grey', lw=1)
        bottom.set_ylabel(f'paired Δ vs {ARMS[ref].label}', fontsize=8)
        bottom.set_xlabel('fraction of labelled training films')
        bottom.set_xscale('log')
        bottom.set_xticks(every, [f'{f:.0%}' for f in every])
        bottom.minorticks_off()
    axes[0, 0].set_ylabel('held-out mean, 95 % interval')
    axes[0, 0].legend(fontsize=7)
    fig.suptitle('Learning curve: mean over fold × seed pairs (upper) and paired difference '
                 '(lower), 95 % intervals; hollow: still running (pairs done/planned)',
                 fontsize=9)
    _save(fig, path, dpi=100)


def paired_chart(summary: Dict[str, dict], path: Path, metric: str = 'AP50') -> None:
    """Forest plot of the paired differences, one panel per reference arm.

    The comparison is paired (same fold, same detector seed), so this is the
    figure the intervals and the goal refer to; ``ap50.png`` shows the arms
    side by side, where the fold-to-fold spread hides the paired effect.
    Dots: one pair each, coloured by fold; bar: 95 % bootstrap interval of the
    mean (thin grey below it: the fold-clustered interval); dashed: the gain
    the goal asks for (``GOAL_RATIO`` × real-only mean).
    """
    plt = _pyplot()

    title = METRIC_TITLES.get(metric, metric)
    panels = [(ref, paired_rows(summary, ref, metric)) for ref in REFERENCES]
    panels = [(ref, rows) for ref, rows in panels if rows]
    if not panels:
        return
    height = 1.0 + 0.45 * max(len(rows) for _, rows in panels)
    fig, axes = plt.subplots(1, len(panels), figsize=(5.2 * len(panels), height), squeeze=False)
    cmap = plt.get_cmap('tab10')
    for ax, (ref, rows) in zip(axes[0], panels):
        for y, row in enumerate(rows):
            jitter = np.linspace(-0.15, 0.15, len(row['diffs'])) if len(row['diffs']) > 1 else [0]
            ax.scatter(row['diffs'], y + np.asarray(jitter), s=10, zorder=3,
                       color=[cmap(f % 10) for f in row['folds']])
            if row['cluster_low'] is not None:
                ax.plot([row['cluster_low'], row['cluster_high']], [y + 0.25, y + 0.25],
                        color='grey', lw=1)
            if row['low'] is not None:
                ax.plot([row['low'], row['high']], [y, y], color='black', lw=2)
            ax.plot([row['mean']], [y], marker='D', color='black', ms=6)
        ax.axvline(0, color='grey', lw=1)
        if ref == 'real' and metric in summary.get('real', {}):
            goal = (GOAL_RATIO - 1) * summary['real'][metric]['mean']
            ax.axvline(goal, color='tab:red', ls='--', lw=1)
            ax.annotate(f'goal {GOAL_RATIO:g}×', xy=(goal, 1.0), xycoords=('data', 'axes fraction'),
                        xytext=(2, 2), textcoords='offset points', fontsize=7, color='tab:red')
        ax.set_yticks(range(len(rows)))
        ax.set_yticklabels([r['label'].replace('real + ', '+ ') for r in rows], fontsize=8)
        ax.invert_yaxis()
        ax.set_xlabel(f'paired Δ{title} vs {summary.get(ref, {}).get("label", ref)}', fontsize=8)
    fig.suptitle(f'Paired Δ{title} per fold × seed (dots, colour = fold), mean and 95 % '
                 'bootstrap interval (black: pairs; grey: folds)', fontsize=9)
    _save(fig, path, dpi=90)
