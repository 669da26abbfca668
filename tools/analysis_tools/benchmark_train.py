"""Time DetectorGAN train steps (unroll none / exact / finite_diff) against a
plain detector step on the same batch, and the unroll overhead against one
detector forward+backward.

    python tools/analysis_tools/benchmark_train.py CONFIG [--iters N] [--warmup N]
"""
import argparse
import os
import sys
from typing import List, Optional

from mmengine.config import DictAction

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))

from mmdgan.engine.benchmark import UNROLL_MODES, TrainBenchmark, format_results  # noqa: E402
from mmdgan.utils import load_config  # noqa: E402


def parse_args(argv: Optional[List[str]] = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description='Benchmark DetectorGAN train steps')
    parser.add_argument('config', help='DetectorGAN config file')
    parser.add_argument('--iters', type=int, default=5, help='timed iterations')
    parser.add_argument('--warmup', type=int, default=2, help='untimed iterations first')
    parser.add_argument('--modes', nargs='+', choices=UNROLL_MODES, default=list(UNROLL_MODES))
    parser.add_argument('--device', default='cpu')
    parser.add_argument('--cfg-options', nargs='+', action=DictAction,
                        help='override config settings, key=value')
    return parser.parse_args(argv)


def main(argv: Optional[List[str]] = None) -> dict:
    args = parse_args(argv)
    cfg = load_config(args.config, args.cfg_options)
    bench = TrainBenchmark(cfg, device=args.device, iters=args.iters, warmup=args.warmup)
    results = bench.run(args.modes)
    print(format_results(results))
    return results


if __name__ == '__main__':
    main()
