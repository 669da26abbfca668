"""Train a DetectorGAN (or any mmdet model) from a config, mmdet style."""
import argparse
import os
import sys
from typing import List, Optional

from mmengine.config import DictAction

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from mmdgan.engine.train import build_train_config, train  # noqa: E402


def parse_args(argv: Optional[List[str]] = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description='Train a DetectorGAN')
    parser.add_argument('config', help='train config file path')
    parser.add_argument('--work-dir', help='the dir to save logs and checkpoints')
    parser.add_argument(
        '--resume', nargs='?', type=str, const='auto',
        help='resume from the given checkpoint, or, without a path, from the latest '
        'checkpoint in the work dir')
    parser.add_argument('--amp', action='store_true',
                        help='mixed precision (an AmpOptimWrapper per optimizer group)')
    parser.add_argument(
        '--cfg-options', nargs='+', action=DictAction,
        help='override config settings, key=value, e.g. model.unroll.mode=finite_diff')
    parser.add_argument('--launcher', choices=['none', 'pytorch', 'slurm', 'mpi'],
                        default='none', help='job launcher')
    parser.add_argument('--local_rank', '--local-rank', type=int, default=0)
    args = parser.parse_args(argv)
    if 'LOCAL_RANK' not in os.environ:
        os.environ['LOCAL_RANK'] = str(args.local_rank)
    return args


def main(argv: Optional[List[str]] = None):
    args = parse_args(argv)
    cfg = build_train_config(args.config, work_dir=args.work_dir, resume=args.resume,
                             amp=args.amp, cfg_options=args.cfg_options,
                             launcher=args.launcher)
    return train(cfg)


if __name__ == '__main__':
    main()
