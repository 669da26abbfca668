"""The figures of the cross-validated report, drawn from the numbers of :mod:`.statistics`."""
from pathlib import Path
from typing import Dict

import numpy as np

from mmdgan.fileio import atomic_path

from .arms import ARMS, steps_controls
from .statistics import (
    CURVE_METRICS,
    GOAL_RATIO,
    METRIC_TITLES,
    REFERENCES,
    paired_rows,
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


def learning_curve_chart(lc: Dict[str, dict], path: Path) -> None:
    """Every metric of :data:`.CURVE_METRICS` against the fraction of labelled films, one
    line per arm. Upper row: mean over fold × seed pairs with its 95 % t band (pairs of one
    fold are not independent: the band is a pair-level one). Lower row: the paired
    difference to :func:`curve_reference` with its 95 % bootstrap band. Hollow points with
    ``done/all``: an arm still running at that fraction."""
    plt = _pyplot()
    from scipy import stats

    every = sorted({f for per in lc.values() for f in per}, key=float)
    x = np.array([float(f) for f in every])
    ref = curve_reference(lc)
    running = still_running(lc)
    fig, axes = plt.subplots(2, len(CURVE_METRICS), figsize=(3.6 * len(CURVE_METRICS), 5.6),
                             sharex=True, squeeze=False)
    for i, (arm, per) in enumerate(lc.items()):
        colour = plt.get_cmap('tab10')(i % 10)
        for col, metric in enumerate(CURVE_METRICS):
            mean = np.array([per[f][metric]['mean'] if f in per else np.nan for f in every])
            half = np.array([stats.t.ppf(0.975, per[f]['pairs'] - 1) * per[f][metric]['std']
                             / np.sqrt(per[f]['pairs']) if f in per and per[f]['pairs'] > 1
                             else np.nan for f in every])
            top, bottom = axes[0, col], axes[1, col]
            top.plot(x, mean, marker='o', color=colour, label=ARMS[arm].label)
            top.fill_between(x, mean - half, mean + half, color=colour, alpha=0.15)
            for f in every:
                if (arm, f) in running:  # a partial mean is over other films: marked
                    top.plot(float(f), per[f][metric]['mean'], marker='o', ms=8, color=colour,
                             mfc='white', zorder=3)
                    top.annotate('{}/{}'.format(*running[arm, f]),
                                 (float(f), per[f][metric]['mean']), fontsize=7,
                                 xytext=(4, 4), textcoords='offset points')
            diffs = [per.get(f, {}).get(f'paired_vs_{ref}', {}).get(metric) or {} for f in every]
            if arm != ref and any(diffs):
                mid = np.array([d.get('mean', np.nan) for d in diffs])
                low = np.array([np.nan if d.get('boot_low') is None else d['boot_low']
                                for d in diffs])
                high = np.array([np.nan if d.get('boot_high') is None else d['boot_high']
                                 for d in diffs])
                bottom.plot(x, mid, marker='o', color=colour)
                bottom.fill_between(x, low, high, color=colour, alpha=0.15)
            top.set_title(METRIC_TITLES[metric], fontsize=9)
            bottom.axhline(0, color='grey', lw=1)
            bottom.set_ylabel(f'paired Δ vs {ARMS[ref].label}', fontsize=8)
            bottom.set_xlabel('fraction of labelled training films')
    axes[0, 0].set_ylabel('held-out mean, 95 % band')
    axes[0, 0].legend(fontsize=7)
    fig.suptitle('Learning curve: mean over fold × seed pairs (upper) and paired difference '
                 '(lower), 95 % bands; hollow: still running (pairs done/all)', fontsize=9)
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
