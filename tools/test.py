"""Evaluate a detector checkpoint on its config's test set, mmdet style.

    python tools/test.py CONFIG CKPT [--work-dir DIR] [--out preds.pkl] \\
        [--metrics-out metrics.json] [--show] [--show-dir DIR] [--wait-time S] \\
        [--cfg-options key=value ...]
"""
import argparse
import sys
from typing import List, Optional

from mmdgan.evaluation.evaluate import build_test_config, evaluate
from mmdgan.utils.cli import add_runner_args, export_local_rank, run_tool


def parse_args(argv: Optional[List[str]] = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description='Test (and evaluate) a detector')
    parser.add_argument('config', help='test config file path')
    parser.add_argument('checkpoint', help='checkpoint file')
    parser.add_argument('--work-dir', help='the dir to save logs and evaluation metrics')
    parser.add_argument('--out', help='dump predictions to a pickle file (.pkl)')
    parser.add_argument('--metrics-out', help='write the metrics to this json file')
    parser.add_argument('--show', action='store_true', help='show prediction results')
    parser.add_argument(
        '--show-dir', help='directory where painted images will be saved; a relative one '
        'is placed in work_dir/timestamp/show_dir')
    parser.add_argument('--wait-time', type=float, default=2, help='the interval of show (s)')
    add_runner_args(parser, 'override config settings, key=value')
    return export_local_rank(parser.parse_args(argv))


def main(argv: Optional[List[str]] = None) -> dict:
    args = parse_args(argv)
    cfg = build_test_config(args.config, args.checkpoint, work_dir=args.work_dir,
                            out=args.out, cfg_options=args.cfg_options,
                            launcher=args.launcher, show=args.show, show_dir=args.show_dir,
                            wait_time=args.wait_time)
    return evaluate(cfg, metrics_out=args.metrics_out)


if __name__ == '__main__':
    sys.exit(run_tool(main))
