"""Evaluate a detector checkpoint on its config's test set, mmdet style.

    python tools/test.py CONFIG CKPT [--work-dir DIR] [--out preds.pkl] \\
        [--metrics-out metrics.json] [--cfg-options key=value ...]
"""
import argparse
import os
import sys
from typing import List, Optional

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from mmdgan.evaluation.evaluate import build_test_config, evaluate  # noqa: E402
from mmdgan.utils.cli import add_runner_args, export_local_rank, run_tool  # noqa: E402


def parse_args(argv: Optional[List[str]] = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description='Test (and evaluate) a detector')
    parser.add_argument('config', help='test config file path')
    parser.add_argument('checkpoint', help='checkpoint file')
    parser.add_argument('--work-dir', help='the dir to save logs and evaluation metrics')
    parser.add_argument('--out', help='dump predictions to a pickle file (.pkl)')
    parser.add_argument('--metrics-out', help='write the metrics to this json file')
    add_runner_args(parser, 'override config settings, key=value')
    return export_local_rank(parser.parse_args(argv))


def main(argv: Optional[List[str]] = None) -> dict:
    args = parse_args(argv)
    cfg = build_test_config(args.config, args.checkpoint, work_dir=args.work_dir,
                            out=args.out, cfg_options=args.cfg_options,
                            launcher=args.launcher)
    return evaluate(cfg, metrics_out=args.metrics_out)


if __name__ == '__main__':
    sys.exit(run_tool(main))
