"""Run, resume, plan or report a cross-validated comparison from its experiment config.

    python tools/experiments/cross_validation.py configs/experiments/cv_mini-mias.py --dry-run
    python tools/experiments/cross_validation.py configs/experiments/cv_mini-mias.py
    python tools/experiments/cross_validation.py configs/experiments/cv_mini-mias.py \\
        --report-only --readme results/README.md
    python tools/experiments/cross_validation.py CONFIG --scheduler tcp://host:8786   # cluster

Writes ``<results_dir>/{folds.json,table.md,results.json,*.png}`` and one json per
finished unit under ``units/`` (commit them: the same command resumes and never
reruns a finished unit), and its log to ``<work_dir>/cv_<time>.log``. The protocol
is described in mmdgan/experiments/experiment.py and results/README.md, the
config keys in configs/experiments/_base_/cv.py, the cluster run in docs/experiments.md.
"""
import argparse
import shlex
import sys
from datetime import datetime
from typing import List, Optional

from mmengine.logging import MMLogger

from mmdgan.experiments import CVExperiment, load_experiment
from mmdgan.experiments.markdown import readme_table, update_markdown_block
from mmdgan.experiments.settings import repo_path
from mmdgan.utils.cli import CfgOptionsAction


def parse_args(argv: Optional[List[str]] = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('config', help='experiment config (configs/experiments/cv_*.py)')
    parser.add_argument('--work-dir', help='runs, folds and synthetic sets (default: the '
                        'config\'s work_dir)')
    parser.add_argument('--dry-run', action='store_true',
                        help='write the folds, log the plan and its cost, train nothing')
    parser.add_argument('--report-only', action='store_true',
                        help='rebuild table.md / results.json / figures from the unit files')
    parser.add_argument('--readme', help='with --report-only: also rewrite the "cv-table" '
                        'block of this markdown file (e.g. results/README.md)')
    parser.add_argument('--workers', type=int, help='steps side by side on the local cluster '
                        '(default: the config\'s execution.workers)')
    parser.add_argument('--scheduler', help='address of a Dask scheduler to run the steps on '
                        '(tcp://host:8786; default: a local cluster)')
    parser.add_argument('--in-process', action='store_true',
                        help='run the tools inside this process, one at a time (tests)')
    parser.add_argument('--cfg-options', nargs='+', action=CfgOptionsAction,
                        help='override experiment settings, key=value (e.g. seeds=[0])')
    return parser.parse_args(argv)


def main(argv: Optional[List[str]] = None) -> dict:
    args = parse_args(argv)
    if args.dry_run and args.report_only:
        raise SystemExit('--dry-run and --report-only exclude each other')
    if args.readme and not args.report_only:
        raise SystemExit('--readme goes with --report-only')
    options = dict(args.cfg_options or {})
    if args.work_dir:
        options['work_dir'] = args.work_dir
    settings, execution = load_experiment(args.config, options)
    workers = args.workers or int(execution['workers'])
    if args.in_process:
        workers = 1  # one step at a time: the tools share this process
    given = sys.argv[1:] if argv is None else argv
    # The report names the command that runs the comparison, not the one rebuilding it.
    command = shlex.join(['python', 'tools/experiments/cross_validation.py',
                          *(a for i, a in enumerate(given) if a not in ('--report-only', '--readme')
                            and given[i - 1:i] != ['--readme'])])
    log_file = repo_path(settings.work_dir) / f'cv_{datetime.now():%Y%m%d_%H%M%S_%f}.log'
    log_file.parent.mkdir(parents=True, exist_ok=True)
    logger = MMLogger.get_instance(f'mmdgan.cv.{log_file.stem}', log_file=str(log_file),
                                   log_level='INFO')
    experiment = CVExperiment(settings, int(execution['threads']), logger, args.in_process)
    logger.info(f'{command} (log: {log_file})')
    if args.report_only:
        experiment.plan.prepare_folds()
        results = experiment.report(command, workers)
        if args.readme:
            update_markdown_block(args.readme, 'cv-table', readme_table(results))
        return results
    return experiment.run(command, args.dry_run, workers,
                          args.scheduler or execution['scheduler'], execution['first_fraction'],
                          execution['last_arms'])


if __name__ == '__main__':
    main()
