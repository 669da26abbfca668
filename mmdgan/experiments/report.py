"""Aggregate cross-validated detector units into ``table.md``, ``results.json`` and figures.

Everything is computed from the unit files alone, so the report (and the
README table copied from ``table.md``) can be rebuilt at any time with
``tools/experiments/cross_validation.py CONFIG --report-only``.
"""
import datetime
import subprocess
from pathlib import Path
from typing import Dict, Optional, Sequence

from mmdgan.fileio import write_json_atomic, write_text_atomic

from .figures import bar_chart, learning_curve_chart, paired_chart
from .markdown import goal_sentences, markdown
from .statistics import (
    gan_variance,
    insertion_quality_summary,
    learning_curve,
    per_class_ap,
    ratio_sweep,
    summarize,
)


def _git_commit() -> str:
    try:
        return subprocess.run(['git', 'rev-parse', 'HEAD'], capture_output=True, text=True,
                              cwd=Path(__file__).parent, check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return 'unknown'


def write_cv_report(units: Sequence[dict], settings: dict, results_dir: Path,
                    command: str, quality: Sequence[dict] = (),
                    progress: Optional[Dict[str, float]] = None) -> dict:
    """Write ``results.json``, ``table.md``, ``ap50.png``, ``paired_ap50.png``,
    ``paired_top1.png`` (top-1 localisation, the paper's second metric) and
    ``learning_curve.png``.

    ``quality``: the insertion-quality scores of the synthetic sources.
    ``progress``: core-hours spent on the finished units, what the plan prices them
    at, and what it prices the rest at (``CVExperiment.report``).
    """
    results_dir.mkdir(parents=True, exist_ok=True)
    summary = summarize(units, settings)
    gan_var = gan_variance(units, settings)
    results = dict(command=command, git_commit=_git_commit(),
                   created=datetime.datetime.now().isoformat(timespec='seconds'),
                   settings=settings, units_done=len(units), arms=summary,
                   learning_curve=learning_curve(units, settings),
                   ratio_sweep=ratio_sweep(units, settings), gan_variance=gan_var,
                   goal=goal_sentences(summary, gan_var),
                   insertion_quality=insertion_quality_summary(quality),
                   per_class_ap=per_class_ap(units, settings),
                   progress=progress)
    write_json_atomic(results, results_dir / 'results.json')
    write_text_atomic(markdown(results), results_dir / 'table.md')
    if summary:
        bar_chart(summary, results_dir / 'ap50.png',
                  title='AP50 per arm (mean ± std over fold × seed; dots: pairs)')
        paired_chart(summary, results_dir / 'paired_ap50.png')
        paired_chart(summary, results_dir / 'paired_top1.png', metric='loc_top1')
    if any(len(v) > 1 for v in results['learning_curve'].values()):
        learning_curve_chart(results['learning_curve'], results_dir / 'learning_curve.png',
                             settings)
    return results
