"""Curves of insertion quality over GAN training (``InsertionQualityHook`` files).

The hook writes ``work_dir/insertion_quality.json``: the distances of the clean
crops (no insertion, the reference) and one point per evaluation. This module
reads such files, tabulates them and plots them against the issue's yardsticks
(clean crops, half of clean), so that "trained long enough" is read off a curve.
"""
import json
from pathlib import Path
from typing import Dict, List, Union

from mmdgan.fileio import atomic_path

PathLike = Union[str, Path]
#: The distances a curve file holds, with the scale they are printed at.
DISTANCES = {'kernel': ('kernel distance', 1e3, '×1e-3'), 'frechet': ('Fréchet distance', 1, '')}


def load_curve(path: PathLike) -> dict:
    """Read a curve file, or a work dir holding ``insertion_quality.json``.

    Raises:
        FileNotFoundError: neither exists.
        ValueError: the file is not a curve (no clean reference or no points).
    """
    path = Path(path)
    if path.is_dir():
        path = path / 'insertion_quality.json'
    if not path.is_file():
        raise FileNotFoundError(f'insertion quality curve not found: {path}')
    try:
        curve = json.loads(path.read_text())
    except json.JSONDecodeError as e:
        raise ValueError(f'{path}: not JSON ({e.msg}, line {e.lineno})') from None
    if not isinstance(curve, dict) or not isinstance(curve.get('clean'), dict) \
            or not curve.get('curve'):
        raise ValueError(f'{path}: not an insertion quality curve (needs "clean" and a '
                         'non-empty "curve", as InsertionQualityHook writes)')
    for point in curve['curve']:
        missing = [k for k in ('iter', *DISTANCES) if k not in point]
        if missing:
            raise ValueError(f'{path}: a curve point lacks {missing}: {point}')
    return curve


def has_raw(curve: dict) -> bool:
    """Whether the curve scores a moving-average inserter and G_X itself (``raw_*``)."""
    return all('raw_kernel' in p for p in curve['curve'])


def curve_table(curve: dict) -> str:
    """Markdown table of one curve: per iteration, each distance and its ratio to clean.

    A moving-average run (``inserter_ema``) gets G_X's own distances as extra columns.
    """
    clean = curve['clean']
    columns = [(name, name, label, scale, unit)
               for name, (label, scale, unit) in DISTANCES.items()]
    if has_raw(curve):
        columns += [(f'raw_{name}', name, f'G_X itself: {label}', scale, unit)
                     for name, (label, scale, unit) in DISTANCES.items()]
    head = ['iteration']
    for key, _, label, _, unit in columns:
        head += [f'{label} {unit}'.strip(), f'{key} / clean']
    lines = ['| ' + ' | '.join(head) + ' |', '|' + ' --- |' * len(head)]
    ref = ['clean crops (no insertion)']
    for _, name, _, scale, _ in columns:
        ref += [f'{scale * clean[name]:.0f}', '1']
    lines.append('| ' + ' | '.join(ref) + ' |')
    for point in curve['curve']:
        cells = [str(point['iter'])]
        for key, name, _, scale, _ in columns:
            cells += [f'{scale * point[key]:.0f}', f'{point[key] / clean[name]:.2f}']
        lines.append('| ' + ' | '.join(cells) + ' |')
    return '\n'.join(lines) + '\n'


def plot_curves(curves: Dict[str, dict], out: PathLike, title: str = '') -> None:
    """Plot each run's kernel and Fréchet distances against the iteration.

    Dashed: the run's clean crops (no insertion); dotted: half of that, the
    target of an inserter whose crops resemble the real objects; bars: the
    kernel distance's standard error where the curve has it. Moving-average
    runs also show G_X itself (faint, crosses). Written
    atomically (PNG, or any format matplotlib infers from ``out``).
    """
    if not curves:
        raise ValueError('plot_curves: no curves given')
    import matplotlib
    matplotlib.use('Agg')
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, len(DISTANCES), figsize=(5.5 * len(DISTANCES), 3.8))
    for ax, (name, (label, scale, unit)) in zip(axes, DISTANCES.items()):
        for (run, curve), color in zip(curves.items(), _colors(len(curves))):
            iters = [p['iter'] for p in curve['curve']]
            errors = [scale * p.get(f'{name}_se', 0.0) for p in curve['curve']]
            # Standard errors (curves recorded since they exist): a step smaller
            # than its bars is noise of the fixed set, not a change of the inserter.
            ax.errorbar(iters, [scale * p[name] for p in curve['curve']],
                        yerr=errors if any(errors) else None, fmt='o-', color=color,
                        capsize=2, ms=3,
                        label=run + (' (moving average)' if has_raw(curve) else ''))
            if has_raw(curve):
                ax.plot(iters, [scale * p[f'raw_{name}'] for p in curve['curve']], 'x-',
                        color=color, alpha=0.45, lw=0.8, label=f'{run} (G_X itself)')
            clean = scale * curve['clean'][name]
            ax.axhline(clean, color=color, ls='--', lw=0.8)
            ax.axhline(clean / 2, color=color, ls=':', lw=0.8)
        ax.set_xlabel('GAN iteration')
        ax.set_ylabel(f'{label} {unit}'.strip())
        ax.grid(alpha=0.3)
    axes[0].legend(fontsize=7, title='dashed: clean crops; dotted: ½ clean',
                   title_fontsize=7)
    if title:
        fig.suptitle(title, fontsize=9)
    fig.tight_layout()
    with atomic_path(out) as tmp:
        fig.savefig(tmp, dpi=110)
    plt.close(fig)


def _colors(n: int) -> List[str]:
    palette = ['tab:blue', 'tab:orange', 'tab:green', 'tab:red', 'tab:purple', 'tab:brown']
    return [palette[i % len(palette)] for i in range(n)]
