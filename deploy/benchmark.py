"""Benchmark the generator: PyTorch eager vs ONNX Runtime fp32 / int8 / fp16.

Example:
    python deploy/benchmark.py configs/dgan_retinanet-r18_1xb4-2k_mini-mias.py --size 256 \
        --cfg-options model.generator_x.base_channels=64 model.generator_x.num_blocks=9 \
        --peak-gflops
"""
import argparse
import sys

from mmdgan.deploy.benchmark import BACKENDS, benchmark, format_report
from mmdgan.deploy.session import OPT_LEVELS
from mmdgan.fileio import write_json_atomic
from mmdgan.utils.cli import CfgOptionsAction


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('model', help='DetectorGAN config, or an fp32 .onnx export')
    parser.add_argument('--ckpt', default=None, help='checkpoint (default: random weights)')
    parser.add_argument('--which', choices=('inserter', 'remover'), default='inserter')
    parser.add_argument('--size', type=int, default=256)
    parser.add_argument('--batch', type=int, default=1)
    parser.add_argument('--warmup', type=int, default=5)
    parser.add_argument('--repeats', type=int, default=20)
    parser.add_argument('--backends', default=None,
                        help=f'comma-separated subset of {",".join(BACKENDS)}')
    parser.add_argument('--threads', type=int, default=None)
    parser.add_argument('--providers', choices=('cpu', 'cuda'), default=None,
                        help='ORT provider (default: CUDA when usable, else CPU)')
    parser.add_argument('--optimization', choices=sorted(OPT_LEVELS), default='all')
    parser.add_argument('--exporter', choices=('dynamo', 'torchscript'), default='dynamo')
    parser.add_argument('--calib-data', default=None,
                        help='calibration images for int8 (default: synthetic)')
    parser.add_argument('--num-calib', type=int, default=8)
    parser.add_argument('--peak-gflops', action='store_true',
                        help="report the fraction of the CPU's fp32 roof: the larger of the "
                             "cores' FMA peak (/proc/cpuinfo) and the best 1-thread sgemm x "
                             'threads; the yardstick used is printed')
    parser.add_argument('--work-dir', default=None, help='keep the exported models here')
    parser.add_argument('--out', default=None, help='also write the figures as JSON')
    parser.add_argument('--cfg-options', nargs='+', action=CfgOptionsAction,
                        help='override config entries, e.g. model.generator_x.num_blocks=9')
    return parser.parse_args(argv)


def main(argv=None) -> int:
    args = parse_args(argv)
    try:
        report = benchmark(
            args.model, args.ckpt, size=args.size, batch=args.batch, warmup=args.warmup,
            repeats=args.repeats,
            backends=args.backends.split(',') if args.backends else None,
            threads=args.threads, peak_gflops=args.peak_gflops, which=args.which,
            exporter=args.exporter, calib_data=args.calib_data, num_calib=args.num_calib,
            providers=args.providers, optimization=args.optimization,
            work_dir=args.work_dir, cfg_options=args.cfg_options)
    except (ValueError, FileNotFoundError, RuntimeError) as exc:
        print(f'error: {exc}', file=sys.stderr)
        return 1
    print(format_report(report))
    if args.out:
        write_json_atomic(report, args.out)
    return 0


if __name__ == '__main__':
    sys.exit(main())
