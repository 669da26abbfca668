"""Gain of one virtual detector step on each synthetic set, scored on real images.

    python tools/analysis_tools/unroll_gain.py \
        configs/detector/retinanet_effnet-lite0_1xb4-1000it_mini-mias.py DETECTOR.pth \
        work_dirs/cv/mini-mias-cv/folds/fold0/train.json \
        dgan=.../dgan/gan0-*/synthetic_n500/train.json gan-nodet=.../synthetic_n500/train.json \
        --inner-lr 0.01 --batches 25 [--out gain.json]

The quantity DetectorGAN's unrolled loss rewards (mmdgan/evaluation/unroll_gain.py):
``L_real(theta) - L_real(theta')`` after one SGD step of size ``--inner-lr`` on a
synthetic batch, at the detector ``DETECTOR.pth`` (``none``: the config's own
initialisation), with ``L_real`` on a fixed probe of the real labelled images.
Controls: ``clean`` (the first set's boxes on its recorded clean images) and
``real`` (real labelled images outside the probe). Sets synthesised from the same
clean images and boxes are compared batch by batch.
"""
import argparse
import sys
from typing import List, Optional

from mmdgan.utils.cli import add_synthetic_sets_args, parse_synthetic_sets, positive_int, run_tool


def parse_args(argv: Optional[List[str]] = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('config', help='detector config (its training pipeline and classes)')
    parser.add_argument('checkpoint', help="detector checkpoint (mmdet's or a DetectorGAN's), "
                        "or 'none' for the config's initialisation")
    add_synthetic_sets_args(parser, 'COCO file of the real labelled images (probe and '
                            '"real" control)', '*')
    parser.add_argument('--inner-lr', type=float, nargs='+', default=[0.01],
                        help="virtual step sizes (the GAN config's unroll.inner_lr, and others "
                        'to compare: the gradient is shared)')
    parser.add_argument('--batches', type=positive_int, default=25,
                        help='synthetic batches per source (the first ones of each set)')
    parser.add_argument('--probe-batches', type=positive_int, default=4,
                        help='real batches that score every step')
    parser.add_argument('--batch-size', type=positive_int, default=4)
    parser.add_argument('--no-clean', action='store_true', help='skip the clean control')
    parser.add_argument('--no-real', action='store_true', help='skip the real control')
    parser.add_argument('--out', help='write the report as json here too')
    args = parse_synthetic_sets(parser, argv)
    for reserved in ('clean', 'real'):
        if reserved in args.sets:
            parser.error(f'{reserved!r} names a control; call the synthetic set otherwise')
    if not args.sets and args.no_real:
        parser.error('nothing to score: give NAME=PATH sets and/or drop --no-real')
    if not all(lr > 0 for lr in args.inner_lr):
        parser.error(f'--inner-lr must be > 0, got {args.inner_lr}')
    return args


def main(argv: Optional[List[str]] = None) -> dict:
    args = parse_args(argv)
    from mmdgan.evaluation.unroll_gain import format_report, measure_unroll_gain
    from mmdgan.fileio import write_json_atomic
    from mmdgan.utils import load_config

    report = measure_unroll_gain(
        load_config(args.config), None if args.checkpoint == 'none' else args.checkpoint,
        args.real, args.sets, args.inner_lr, args.batches, args.probe_batches,
        args.batch_size, clean=not args.no_clean, real_control=not args.no_real,
        clean_root=args.clean_root, log=print)
    print(format_report(report))
    if args.out:
        write_json_atomic(dict(settings={k: v for k, v in vars(args).items() if k != 'sets'},
                               report=report), args.out)
    return report


if __name__ == '__main__':
    sys.exit(run_tool(main))
