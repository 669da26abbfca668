"""Arguments every mmdet-style runner CLI (train, test) shares."""
import argparse
import os

from mmengine.config import DictAction


def add_runner_args(parser: argparse.ArgumentParser, cfg_options_help: str) -> None:
    """Add ``--cfg-options``, ``--launcher`` and ``--local_rank`` as mmdet does."""
    parser.add_argument('--cfg-options', nargs='+', action=DictAction, help=cfg_options_help)
    parser.add_argument('--launcher', choices=['none', 'pytorch', 'slurm', 'mpi'],
                        default='none', help='job launcher')
    parser.add_argument('--local_rank', '--local-rank', type=int, default=0)


def export_local_rank(args: argparse.Namespace) -> argparse.Namespace:
    """Make ``--local_rank`` visible to torch.distributed, unless a launcher set it."""
    if 'LOCAL_RANK' not in os.environ:
        os.environ['LOCAL_RANK'] = str(args.local_rank)
    return args
