"""Train a DetectorGAN (or any mmdet model) from a config, mmdet style."""
import argparse
import sys
from typing import List, Optional

from mmdgan.engine.train import train
from mmdgan.utils.cli import add_runner_args, export_local_rank, run_tool
from mmdgan.utils.runner_config import build_runner_config


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
    add_runner_args(
        parser, 'override config settings, key=value, e.g. model.unroll.mode=finite_diff')
    return export_local_rank(parser.parse_args(argv))


def main(argv: Optional[List[str]] = None):
    args = parse_args(argv)
    cfg = build_runner_config(args.config, work_dir=args.work_dir, resume=args.resume,
                              amp=args.amp, cfg_options=args.cfg_options,
                              launcher=args.launcher)
    return train(cfg)


if __name__ == '__main__':
    sys.exit(run_tool(main))
