"""Aggregate the ``(arm, seed)`` units into ``table.md``, ``results.json`` and ``ap50.png``."""
import datetime
import subprocess
from pathlib import Path
from typing import Dict, List, Sequence

import numpy as np

from mmdgan.fileio import atomic_path, write_json_atomic, write_text_atomic

#: Goal of the issue: DetectorGAN AP50 >= 1.2x real only, above copy-paste and no-unroll.
GOAL_RATIO = 1.2


def mean_std(values: Sequence[float]) -> Dict[str, float]:
    """Mean and sample standard deviation (0 for a single value)."""
    arr = np.asarray(values, np.float64)
    return dict(mean=float(arr.mean()), std=float(arr.std(ddof=1)) if len(arr) > 1 else 0.0)


def paired_diff(values: Dict, reference: Dict) -> Dict[str, object]:
    """``values - reference`` on the seeds both have: per seed, mean and std.

    Args:
        values: Seed -> value of one arm.
        reference: Seed -> value of the arm it is compared with.

    Returns:
        ``dict(per_seed={str(seed): diff}, mean, std)``, or ``{}`` when no seed is shared.
    """
    seeds = [s for s in values if s in reference]
    if not seeds:
        return {}
    diffs = [values[s] - reference[s] for s in seeds]
    return dict(per_seed={str(s): d for s, d in zip(seeds, diffs)}, **mean_std(diffs))


def aggregate(units: List[dict], arms: Sequence, baseline: str = 'real') -> Dict[str, dict]:
    """Per arm: mean/std over seeds, per-seed values and paired differences vs ``baseline``."""
    by_arm: Dict[str, Dict[int, dict]] = {}
    for u in units:
        by_arm.setdefault(u['arm'], {})[u['seed']] = u
    base = by_arm.get(baseline, {})
    out = {}
    for arm in arms:
        seeds = sorted(by_arm.get(arm.name, {}))
        if not seeds:
            continue
        per_seed = {s: by_arm[arm.name][s]['metrics'] for s in seeds}
        metrics = list(next(iter(per_seed.values())))
        entry = dict(label=arm.label, seeds=seeds,
                     per_seed={str(s): v for s, v in per_seed.items()},
                     **{m: mean_std([per_seed[s][m] for s in seeds]) for m in metrics},
                     commands={str(s): by_arm[arm.name][s]['commands'] for s in seeds})
        if arm.name != baseline and any(s in base for s in seeds):
            entry['paired_diff_vs_' + baseline] = {
                m: paired_diff({s: per_seed[s][m] for s in seeds},
                               {s: u['metrics'][m] for s, u in base.items()})
                for m in metrics}
        out[arm.name] = entry
    return out


def goal_check(summary: Dict[str, dict]) -> List[str]:
    """Sentences stating whether the issue's goal is met, from the means.

    Each comparison also gives the per-seed paired AP50 difference (mean ± std),
    so a gap smaller than the spread between seeds reads as such.
    """
    if 'dgan' not in summary or 'real' not in summary:
        return ['Goal not evaluated: needs both the real-only and DetectorGAN arms.']
    dgan, real = summary['dgan']['AP50']['mean'], summary['real']['AP50']['mean']
    ratio = dgan / real if real > 0 else float('inf')
    lines = [f'DetectorGAN AP50 / real-only AP50 = {dgan:.4f} / {real:.4f} = {ratio:.2f} '
             f'(goal >= {GOAL_RATIO}): {"met" if ratio >= GOAL_RATIO else "NOT met"}.']

    def ap50(arm: str) -> Dict[str, float]:
        return {s: v['AP50'] for s, v in summary[arm]['per_seed'].items()}

    for other in ('copy-paste', 'dgan-nounroll'):
        if other not in summary:
            continue
        val = summary[other]['AP50']['mean']
        diff = paired_diff(ap50('dgan'), ap50(other))
        noise = (f'; paired difference {diff["mean"]:+.4f} ± {diff["std"]:.4f} over '
                 f'{len(diff["per_seed"])} seed(s)' if diff else '')
        within = ' (within the seed spread)' if diff and abs(diff['mean']) <= diff['std'] else ''
        lines.append(f'DetectorGAN AP50 {"above" if dgan > val else "NOT above"} '
                     f'{summary[other]["label"]} ({dgan:.4f} vs {val:.4f}{noise}){within}.')
    return lines


def _fmt(entry: dict) -> str:
    return f'{entry["mean"]:.3f} ± {entry["std"]:.3f}'


def markdown_table(summary: Dict[str, dict], settings: dict, command: str) -> str:
    """The results table with its provenance, as markdown."""
    rows = ['| arm | mAP | AP50 | loc. acc. (top-1, IoU 0.5) | AP50 / real | '
            'paired ΔAP50 vs real | AP50 per seed | ΔAP50 per seed | seeds |',
            '| --- | --- | --- | --- | --- | --- | --- | --- | --- |']
    real = summary.get('real', {}).get('AP50', {}).get('mean')
    for entry in summary.values():
        ratio = f'{entry["AP50"]["mean"] / real:.2f}' if real else 'n/a'
        diff = entry.get('paired_diff_vs_real', {}).get('AP50')
        per_seed = ', '.join(f'{v["AP50"]:.3f}' for v in entry['per_seed'].values())
        diff_seed = ', '.join(f'{v:+.3f}' for v in diff['per_seed'].values()) if diff else '—'
        rows.append(f'| {entry["label"]} | {_fmt(entry["mAP"])} | {_fmt(entry["AP50"])} | '
                    f'{_fmt(entry["loc_acc"])} | {ratio} | '
                    f'{_fmt(diff) if diff else "—"} | {per_seed} | {diff_seed} | '
                    f'{len(entry["seeds"])} |')
    eval_set = settings.get('eval_set', {})
    gan_iters = settings.get('gan_iters') or {}
    gan_text = (', '.join(f'{k}: {v}' for k, v in gan_iters.items())
                if isinstance(gan_iters, dict) else str(gan_iters))
    return '\n'.join([
        f'# Small-data comparison on {settings["data"]}', '',
        f'Command: `{command}`', '',
        f'Evaluation: pooled {" + ".join(settings["eval_splits"])} '
        f'({eval_set.get("images", "?")} images, {eval_set.get("boxes", "?")} boxes), last '
        f'checkpoint of each run; mean ± sample std over seeds {list(settings["seeds"])}. '
        f'Detector: `{settings["det_config"]}` / `{settings["det_syn_config"]}`, '
        f'{settings["det_iters"] or "config"} iterations; GAN iterations: '
        f'{gan_text or "—"}; synthetic images per run: '
        f'{settings.get("num_synthetic", "?")}.', '',
        f'Units finished: {settings.get("units_done", "?")} / '
        f'{settings.get("units_total", "?")}.', '',
        *rows, '', *goal_check(summary), ''])


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


def _git_commit() -> str:
    try:
        return subprocess.run(['git', 'rev-parse', 'HEAD'], capture_output=True, text=True,
                              cwd=Path(__file__).parent, check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return 'unknown'


def write_report(units: List[dict], arms: Sequence, settings: dict, results_dir: Path,
                 command: str) -> dict:
    """Write the three result files; returns the ``results.json`` content."""
    results_dir.mkdir(parents=True, exist_ok=True)
    summary = aggregate(units, arms)
    results = dict(command=command, git_commit=_git_commit(),
                   created=datetime.datetime.now().isoformat(timespec='seconds'),
                   settings=settings, arms=summary, goal=goal_check(summary))
    write_json_atomic(results, results_dir / 'results.json')
    write_text_atomic(markdown_table(summary, settings, command), results_dir / 'table.md')
    bar_chart(summary, results_dir / 'ap50.png')
    return results
