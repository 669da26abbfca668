"""The figures of the cross-validated report, drawn from the numbers of :mod:`.statistics`."""
from pathlib import Path
from typing import Dict

import numpy as np

from mmdgan.fileio import atomic_path

from .arms import ARMS
from .statistics import GOAL_RATIO, REFERENCES, paired_rows, still_running


def bar_chart(summary: Dict[str, dict], path: Path, metric: str = 'AP50',
              title: str = '{metric} per arm (mean ± std over seeds; dots: seeds)') -> None:
    """Bars of the mean with std error bars and the per-seed values as dots."""
    import matplotlib
    matplotlib.use('Agg')
    import matplotlib.pyplot as plt

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
    fig.tight_layout()
    with atomic_path(path) as tmp:
        fig.savefig(tmp, dpi=120)
    plt.close(fig)


def learning_curve_chart(lc: Dict[str, dict], path: Path) -> None:
    """AP50 against the fraction of labelled training films, one line per arm."""
    import matplotlib
    matplotlib.use('Agg')
    import matplotlib.pyplot as plt
    from matplotlib.lines import Line2D

    fig, ax = plt.subplots(figsize=(4.8, 3.4))
    every = sorted({f for per in lc.values() for f in per}, key=float)
    running = still_running(lc)
    for i, (arm, per) in enumerate(lc.items()):
        # A fraction an arm lacks breaks its line (NaN) instead of drawing a line
        # through it; a small shift per arm keeps the error bars apart.
        shift = 0.008 * (i - (len(lc) - 1) / 2)
        line = ax.errorbar([float(f) + shift for f in every],
                           [per[f]['AP50']['mean'] if f in per else np.nan for f in every],
                           yerr=[per[f]['AP50']['std'] if f in per else np.nan for f in every],
                           marker='o', capsize=4, label=ARMS[arm].label)
        for f in every:
            if (arm, f) in running:
                # Hollow, with its pair count: a partial mean is not comparable yet.
                x, y = float(f) + shift, per[f]['AP50']['mean']
                colour = line.lines[0].get_color()  # given: ax.plot would advance the cycle
                ax.plot(x, y, marker='o', markersize=7, color=colour, markerfacecolor='white',
                        zorder=3)
                ax.annotate('{}/{}'.format(*running[arm, f]), (x, y), fontsize=7,
                            xytext=(4, 4), textcoords='offset points')
    handles, labels = ax.get_legend_handles_labels()
    if running:
        handles.append(Line2D([], [], linestyle='none', marker='o', markerfacecolor='white',
                              markeredgecolor='grey'))
        labels.append('still running (pairs done/all)')
    ax.set_xlabel('fraction of labelled training films')
    ax.set_ylabel('AP50 (held-out folds)')
    ax.legend(handles, labels, fontsize=8)
    fig.tight_layout()
    with atomic_path(path) as tmp:
        fig.savefig(tmp, dpi=120)
    plt.close(fig)


def paired_chart(summary: Dict[str, dict], path: Path, metric: str = 'AP50') -> None:
    """Forest plot of the paired differences, one panel per reference arm.

    The comparison is paired (same fold, same detector seed), so this is the
    figure the intervals and the goal refer to; ``ap50.png`` shows the arms
    side by side, where the fold-to-fold spread hides the paired effect.
    Dots: one pair each, coloured by fold; bar: 95 % bootstrap interval of the
    mean (thin grey below it: the fold-clustered interval); dashed: the gain
    the goal asks for (``GOAL_RATIO`` × real-only mean).
    """
    import matplotlib
    matplotlib.use('Agg')
    import matplotlib.pyplot as plt

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
        ax.set_xlabel(f'paired Δ{metric} vs {summary.get(ref, {}).get("label", ref)}', fontsize=8)
    fig.suptitle(f'Paired Δ{metric} per fold × seed (dots, colour = fold), mean and 95 % '
                 'bootstrap interval (black: pairs; grey: folds)', fontsize=9)
    fig.tight_layout()
    with atomic_path(path) as tmp:
        fig.savefig(tmp, dpi=120)
    plt.close(fig)
