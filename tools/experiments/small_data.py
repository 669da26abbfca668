"""Compare real-only training with four ways of adding synthetic data.

    python tools/experiments/small_data.py --data demo --seeds 3 --quick
    python tools/experiments/small_data.py --data mini-mias --seeds 3

Writes results/<data>[-quick]/{table.md,results.json,ap50.png}, rewritten after
every finished (arm, seed) unit; units live in results/<data>[-quick]/units/ and
are never rerun, so the same command resumes an interrupted run. See
mmdgan/experiments/small_data.py for what every arm does.
"""
import argparse
import os
import shlex
import sys
from typing import List, Optional

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))

from mmdgan.experiments import ARMS, ExperimentSettings, run_experiment  # noqa: E402
from mmdgan.experiments.cli import add_config_args, gan_configs_from_args  # noqa: E402
from mmdgan.experiments.small_data import DEFAULT_ARMS  # noqa: E402

#: Per (data, --quick): the configs and schedule of the comparison; see
#: results/README.md for what each one means and costs on 2 CPU cores.
#: ``tag`` picks the GAN configs ``configs/dgan_*[_nodet|_nounroll]*_<tag>.py``.
PRESETS = {
    # Config schedules: detector 1500 it at 256 px, GAN 20 it at 256 px.
    ('demo', False): dict(tag='demo', det_config='retinanet_effnet-lite0_1xb4-1000it_demo.py'),
    # All in the 128 px configs: detector 300 it, GAN 30 it (15.5 min measured on 2 free cores).
    ('demo', True): dict(tag='demo-128px',
                         det_config='retinanet_effnet-lite0_1xb4-300it_demo-128px.py'),
    # 256 px; detector 1000 it (~13 min on one free core; 600 it reached only
    # AP50 0.008 real-only), GAN 100 it at batch 2 (the exact unroll costs ~6.5 s/it
    # on one core at 256 px).
    ('mini-mias', False): dict(
        tag='mini-mias', det_config='retinanet_effnet-lite0_1xb4-1000it_mini-mias.py',
        det_iters=1000, gan_iters=100,
        # Checkpoints every few minutes: a killed run resumes where it stopped.
        det_options={'default_hooks.checkpoint.interval': 250},
        gan_options={'train_dataloader.batch_size': 2, 'train_dataloader.num_workers': 0,
                     'train_dataloader.persistent_workers': False,
                     'default_hooks.checkpoint.interval': 25,
                     'default_hooks.checkpoint.max_keep_ckpts': 1}),
    ('mini-mias', True): dict(
        tag='mini-mias', det_config='retinanet_effnet-lite0_1xb4-1000it_mini-mias.py',
        det_iters=100, gan_iters=10,
        gan_options={'train_dataloader.batch_size': 2, 'train_dataloader.num_workers': 0,
                     'train_dataloader.persistent_workers': False}),
}


def parse_args(argv: Optional[List[str]] = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--data', choices=['demo', 'mini-mias'], required=True)
    parser.add_argument('--data-root', help='dataset folder (default: data/<data>/)')
    parser.add_argument('--seeds', type=int, default=3, help='number of seeds (0, 1, ...)')
    parser.add_argument('--quick', action='store_true',
                        help='short schedules (demo: 128 px, <= 20 min on 2 cores)')
    parser.add_argument('--jobs', type=int, default=2, help='units run side by side')
    parser.add_argument('--threads', type=int, default=1,
                        help='OpenMP threads per tool process (1 avoids spinning on busy cores)')
    parser.add_argument('--arms', nargs='+', choices=list(ARMS), default=list(DEFAULT_ARMS))
    parser.add_argument('--work-dir', help='default: work_dirs/small_data/<data>[-quick]')
    parser.add_argument('--results-dir', help='default: results/<data>[-quick]')
    parser.add_argument('--det-iters', type=int, help='override the detector iterations')
    parser.add_argument('--gan-iters', type=int, help='override the GAN iterations')
    parser.add_argument('--syn-per-real', type=float, default=1.0,
                        help='synthetic images per real labelled training image')
    parser.add_argument('--eval-splits', nargs='+', default=['val', 'test'],
                        help='held-out Y splits pooled for the final numbers')
    add_config_args(parser)
    return parser.parse_args(argv)


def settings_from_args(args: argparse.Namespace) -> ExperimentSettings:
    preset = PRESETS[(args.data, args.quick)]
    suffix = '-quick' if args.quick else ''
    det_config = args.det_config or f'configs/detector/{preset["det_config"]}'
    return ExperimentSettings(
        data=args.data,
        data_root=args.data_root or f'data/{args.data}/',
        seeds=list(range(args.seeds)),
        arms=args.arms,
        work_dir=args.work_dir or f'work_dirs/small_data/{args.data}{suffix}',
        results_dir=args.results_dir or f'results/{args.data}{suffix}',
        det_config=det_config,
        det_syn_config=args.det_syn_config or det_config.replace('.py', '_real-syn.py'),
        gan_configs=gan_configs_from_args(args),
        config_tag=preset['tag'],
        det_iters=args.det_iters if args.det_iters is not None else preset.get('det_iters'),
        gan_iters=args.gan_iters if args.gan_iters is not None else preset.get('gan_iters'),
        syn_per_real=args.syn_per_real,
        eval_splits=args.eval_splits,
        det_options={**preset.get('det_options', {}), **args.det_options},
        gan_options={**preset.get('gan_options', {}), **args.gan_options},
        threads=args.threads,
        jobs=args.jobs)


def main(argv: Optional[List[str]] = None) -> dict:
    args = parse_args(argv)
    command = shlex.join(['python', 'tools/experiments/small_data.py',
                          *(sys.argv[1:] if argv is None else argv)])
    return run_experiment(settings_from_args(args), command)


if __name__ == '__main__':
    main()
