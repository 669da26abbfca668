"""Compare real-only training with four ways of adding synthetic data.

    python tools/experiments/small_data.py --data demo --seeds 3 --quick
    python tools/experiments/small_data.py --data mini-mias --seeds 3

Writes results/<data>/{table.md,results.json,ap50.png}; finished (arm, seed)
units live in <work-dir>/units/ and are never rerun. See
mmdgan/experiments/small_data.py for what every arm does.
"""
import argparse
import os
import shlex
import sys
from typing import List, Optional

from mmengine.config import DictAction

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))

from mmdgan.experiments import ARMS, ExperimentSettings, run_experiment  # noqa: E402

#: Detector / GAN iterations of each schedule. ``--quick`` is sized so the demo
#: comparison (5 arms x 3 seeds) fits in about 20 minutes on 2 CPU cores.
SCHEDULES = {'full': dict(det_iters=None, gan_iters=None),
             'quick': dict(det_iters=200, gan_iters=50)}


def parse_args(argv: Optional[List[str]] = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--data', choices=['demo', 'mini-mias'], required=True)
    parser.add_argument('--data-root', help='dataset folder (default: data/<data>/)')
    parser.add_argument('--seeds', type=int, default=3, help='number of seeds (0, 1, ...)')
    parser.add_argument('--quick', action='store_true', help='short schedules (demo: <= 20 min)')
    parser.add_argument('--arms', nargs='+', choices=list(ARMS), default=list(ARMS))
    parser.add_argument('--work-dir', help='default: work_dirs/small_data/<data>[_quick]')
    parser.add_argument('--results-dir', help='default: results/<data>')
    parser.add_argument('--det-config', help='default: configs/detector/'
                        'retinanet_r18_1xb4-1500it_<data>.py')
    parser.add_argument('--det-syn-config', help='default: the _real-syn variant')
    parser.add_argument('--det-iters', type=int, help='override the detector iterations')
    parser.add_argument('--gan-iters', type=int, help='override the GAN iterations')
    parser.add_argument('--syn-per-real', type=float, default=1.0,
                        help='synthetic images per real labelled training image')
    parser.add_argument('--eval-splits', nargs='+', default=['val', 'test'],
                        help='held-out Y splits pooled for the final numbers')
    parser.add_argument('--det-options', nargs='+', action=DictAction, default={},
                        help='extra --cfg-options of every detector run')
    parser.add_argument('--gan-options', nargs='+', action=DictAction, default={},
                        help='extra --cfg-options of every GAN run')
    for arm in ARMS.values():
        if arm.synthetic == 'gan':
            parser.add_argument(f'--{arm.name}-config',
                                help=f'GAN config of arm {arm.name} (default: found in configs/)')
    return parser.parse_args(argv)


def settings_from_args(args: argparse.Namespace) -> ExperimentSettings:
    schedule = dict(SCHEDULES['quick' if args.quick else 'full'])
    if args.det_iters is not None:
        schedule['det_iters'] = args.det_iters
    if args.gan_iters is not None:
        schedule['gan_iters'] = args.gan_iters
    det_config = args.det_config or f'configs/detector/retinanet_r18_1xb4-1500it_{args.data}.py'
    gan_configs = {a: getattr(args, f'{a.replace("-", "_")}_config') for a in ARMS
                   if ARMS[a].synthetic == 'gan'}
    return ExperimentSettings(
        data=args.data,
        data_root=args.data_root or f'data/{args.data}/',
        seeds=list(range(args.seeds)),
        arms=args.arms,
        work_dir=args.work_dir or f'work_dirs/small_data/{args.data}'
        + ('_quick' if args.quick else ''),
        results_dir=args.results_dir or f'results/{args.data}',
        det_config=det_config,
        det_syn_config=args.det_syn_config or det_config.replace('.py', '_real-syn.py'),
        gan_configs={a: c for a, c in gan_configs.items() if c},
        syn_per_real=args.syn_per_real,
        eval_splits=args.eval_splits,
        det_options=args.det_options,
        gan_options=args.gan_options,
        **schedule)


def main(argv: Optional[List[str]] = None) -> dict:
    args = parse_args(argv)
    command = shlex.join(['python', 'tools/experiments/small_data.py',
                          *(sys.argv[1:] if argv is None else argv)])
    return run_experiment(settings_from_args(args), command)


if __name__ == '__main__':
    main()
