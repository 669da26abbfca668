"""Tune the real-only detector's recipe on an inner validation split (issue 32, part 1).

    python tools/experiments/tune_baseline.py --dry-run            # split, plan, CPU hours
    python tools/experiments/tune_baseline.py                      # run / resume
    python tools/experiments/tune_baseline.py --candidates reference aug --seeds 0 1
    python tools/experiments/tune_baseline.py --report-only        # rebuild table.md

The inner split holds out a quarter of the training patients of outer fold 0
of the mini-MIAS cross-validation (results/mini-mias-cv/folds.json); the fold's
own held-out films are never read. Writes results/mini-mias-baseline/
{split.json,table.md,summary.json,units/*.json} (commit them: the same command
resumes and never reruns a finished unit). Protocol: mmdgan/tuning/.
"""
import argparse
import shlex
import sys
from typing import List, Optional

from mmdgan.tuning import DEFAULT_CANDIDATES, SweepSettings, report_sweep, run_sweep  # noqa: E501
from mmdgan.utils.cli import CfgOptionsAction
from mmdgan.utils.tool_runner import REPO_ROOT

_INFO = str(REPO_ROOT.parent / 'shared/data/mini-mias/Info.txt')


def parse_args(argv: Optional[List[str]] = None) -> argparse.Namespace:
    names = [c.name for c in DEFAULT_CANDIDATES]
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--data-root', default='data/mini-mias/', help='converted dataset folder')
    parser.add_argument('--info-file', default=_INFO,
                        help='mini-MIAS Info.txt (patients, strata); "" for generic folders')
    parser.add_argument('--check-folds', default='results/mini-mias-cv/folds.json',
                        help='the comparison\'s folds.json the outer folds must equal ("": none)')
    parser.add_argument('--candidates', nargs='+', choices=names, default=names,
                        help='candidates to run, in this order (default: all, priority order)')
    parser.add_argument('--seeds', type=int, nargs='+', default=[0, 1], help='detector seeds')
    parser.add_argument('--outer-fold', type=int, default=0)
    parser.add_argument('--inner-k', type=int, default=4,
                        help='1 / inner-k of the training patients validate')
    parser.add_argument('--inner-seed', type=int, default=0)
    parser.add_argument('--step-seconds', type=float, default=0.8,
                        help='seconds per detector step, for the printed plan')
    parser.add_argument('--options', nargs='+', action=CfgOptionsAction, default={},
                        help='extra --cfg-options of every training run')
    parser.add_argument('--results-dir', default='results/mini-mias-baseline')
    parser.add_argument('--work-dir', default='work_dirs/tune_baseline')
    parser.add_argument('--dry-run', action='store_true', help='split and plan only')
    parser.add_argument('--report-only', action='store_true',
                        help='rebuild table.md / summary.json from the unit files')
    parser.add_argument('--threads', type=int, default=1, help='OpenMP threads per process')
    parser.add_argument('--in-process', action='store_true',
                        help='run the tools in this process (tests)')
    return parser.parse_args(argv)


def main(argv: Optional[List[str]] = None) -> dict:
    args = parse_args(argv)
    given = sys.argv[1:] if argv is None else argv
    command = shlex.join(['python', 'tools/experiments/tune_baseline.py',
                          *(a for a in given if a not in ('--report-only', '--dry-run'))])
    if args.report_only:
        return report_sweep(args.results_dir, command)
    chosen = {c.name: c for c in DEFAULT_CANDIDATES}
    settings = SweepSettings(
        data_root=args.data_root, results_dir=args.results_dir, work_dir=args.work_dir,
        candidates=[chosen[n] for n in args.candidates], seeds=args.seeds,
        info_file=args.info_file or None, outer_fold=args.outer_fold, inner_k=args.inner_k,
        inner_seed=args.inner_seed, check_folds=args.check_folds or None,
        step_seconds=args.step_seconds, threads=args.threads, in_process=args.in_process,
        extra_options=args.options)
    return run_sweep(settings, dry_run=args.dry_run, command=command)


if __name__ == '__main__':
    main()
