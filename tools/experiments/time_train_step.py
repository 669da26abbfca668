"""Time training steps of a config on this machine (sizing the comparison's schedules).

    OMP_NUM_THREADS=1 python tools/experiments/time_train_step.py \\
        configs/detector/retinanet_r18_1xb4-1500it_demo.py --iters 8 --threads 1
"""
import argparse
from typing import List, Optional

from mmdgan.engine.step_timing import time_train_steps
from mmdgan.utils.cli import CfgOptionsAction


def parse_args(argv: Optional[List[str]] = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('config', help='train config (detector or DetectorGAN)')
    parser.add_argument('--iters', type=int, default=8, help='steps (the first is warm-up)')
    parser.add_argument('--threads', type=int, help='torch intra-op threads')
    parser.add_argument('--profile', action='store_true',
                        help='print a torch.profiler table of the last step')
    parser.add_argument('--cfg-options', nargs='+', action=CfgOptionsAction,
                        help='override config settings, key=value')
    return parser.parse_args(argv)


def main(argv: Optional[List[str]] = None) -> dict:
    args = parse_args(argv)
    result = time_train_steps(args.config, args.iters, args.threads, args.cfg_options,
                              args.profile)
    print(f'median step {result["step_s"]:.3f} s, median data {result["data_s"]:.3f} s, '
          f'{result["threads"]} thread(s), {result["params_m"]:.2f} M parameters')
    return result


if __name__ == '__main__':
    main()
