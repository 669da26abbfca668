"""Time DetectorGAN train steps (unroll none / exact / finite_diff) against a
plain detector step on the same batch, and the unroll overhead against one
detector forward+backward.

    python tools/analysis_tools/benchmark_train.py CONFIG [--iters N] [--warmup N]

With ``--stage1-config`` a stage-1 step (the GAN alone, no detector) is timed
in the same run against CONFIG's detector step; ``--modes`` with no mode then
skips the DetectorGAN steps:

    python tools/analysis_tools/benchmark_train.py \
        configs/dgan_retinanet-effnet-lite0_local-crop_1xb4-2k_mini-mias.py \
        --stage1-config configs/dgan_stage1_local-crop_1xb4-1k_mini-mias.py --modes
"""
import argparse
from typing import List, Optional

from mmdgan.engine.benchmark import UNROLL_MODES, TrainBenchmark, format_results
from mmdgan.utils import load_config
from mmdgan.utils.cli import CfgOptionsAction


def parse_args(argv: Optional[List[str]] = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description='Benchmark DetectorGAN train steps')
    parser.add_argument('config', help='DetectorGAN config file')
    parser.add_argument('--iters', type=int, default=5, help='timed iterations')
    parser.add_argument('--warmup', type=int, default=2, help='untimed iterations first')
    parser.add_argument('--modes', nargs='*', choices=UNROLL_MODES, default=list(UNROLL_MODES))
    parser.add_argument('--stage1-config', help='a stage-1 config (model.detector=None) to '
                        'time against the detector step')
    parser.add_argument('--device', default='cpu')
    parser.add_argument('--cfg-options', nargs='+', action=CfgOptionsAction,
                        help='override config settings, key=value')
    return parser.parse_args(argv)


def main(argv: Optional[List[str]] = None) -> dict:
    args = parse_args(argv)
    cfg = load_config(args.config, args.cfg_options)
    stage1 = load_config(args.stage1_config, args.cfg_options) if args.stage1_config else None
    bench = TrainBenchmark(cfg, device=args.device, iters=args.iters, warmup=args.warmup,
                           stage1_cfg=stage1)
    results = bench.run(args.modes)
    print(format_results(results))
    return results


if __name__ == '__main__':
    main()
