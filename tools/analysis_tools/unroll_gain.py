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
import logging
import os
import sys
from typing import List, Optional

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))

from mmdgan.utils.cli import (  # noqa: E402
    add_debug_arg,
    add_synthetic_sets_args,
    named_paths,
    positive_int,
    run_tool,
)


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
    add_debug_arg(parser)
    args = parser.parse_args(argv)
    args.sets = named_paths(parser, args.synthetic)
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
    from mmengine.logging import MMLogger

    from mmdgan.evaluation.insertion_quality import synthetic_sources
    from mmdgan.evaluation.unroll_gain import (
        class_labels,
        detector_batches,
        deterministic_pipeline,
        load_detection_images,
        training_pipeline,
        unroll_gain,
    )
    from mmdgan.fileio import write_json_atomic
    from mmdgan.models.detector_gan import load_detector_checkpoint
    from mmdgan.registry import MODELS
    from mmdgan.utils import load_config, register_all_modules

    register_all_modules()
    cfg = load_config(args.config)
    labels = class_labels(cfg)
    pipeline = deterministic_pipeline(training_pipeline(cfg))
    detector = MODELS.build(cfg.model)
    if args.checkpoint == 'none':
        # mmengine logs every initialised tensor at INFO: hundreds of lines.
        logger = MMLogger.get_current_instance()
        level = logger.level
        logger.setLevel(logging.WARNING)
        try:
            detector.init_weights()
        finally:
            logger.setLevel(level)
    else:
        load_detector_checkpoint(detector, args.checkpoint)
    detector.train()

    size = args.batch_size
    real = load_detection_images(args.real, labels)
    probe_images = args.probe_batches * size
    if len(real) < probe_images:
        raise ValueError(f'{args.real}: {len(real)} images with boxes, the probe needs '
                         f'{probe_images} (--probe-batches x --batch-size)')
    probe = detector_batches(detector, real[:probe_images], pipeline, size)
    wanted = args.batches * size
    sources = {name: detector_batches(detector, load_detection_images(path, labels)[:wanted],
                                      pipeline, size)
               for name, path in args.sets.items()}
    paired = list(sources)
    if not args.no_clean and args.sets:
        first = next(iter(args.sets.values()))
        clean = load_detection_images(first, labels, synthetic_sources(first, args.clean_root))
        sources['clean'] = detector_batches(detector, clean[:wanted], pipeline, size)
        paired.append('clean')
    if not args.no_real:
        sources['real'] = detector_batches(detector, real[probe_images:][:wanted], pipeline, size)
    report = unroll_gain(detector, sources, probe, args.inner_lr, paired=paired, log=print)
    print(f'L_real(theta) on the probe ({report["probe_images"]} images): '
          f'{report["probe_loss"]:.5f}')
    for lr, entry in report['by_lr'].items():
        print(f'--- inner_lr {lr}\n{"source":<16} {"gain":>10} {"s.e.":>9} batches')
        for name, row in entry['sources'].items():
            se = f'{row["se"]:.5f}' if row['se'] is not None else '-'
            print(f'{name:<16} {row["mean"]:>+10.5f} {se:>9} {row["n"]}')
        for name, d in entry['paired'].items():
            interval = ('' if d['boot_low'] is None else
                        f' [{d["boot_low"]:+.5f}, {d["boot_high"]:+.5f}] '
                        f'p={d["wilcoxon_p"]:.3f}')
            print(f'paired {name}: {d["mean"]:+.5f}{interval} ({d["n"]} batches)')
    if args.out:
        write_json_atomic(dict(settings={k: v for k, v in vars(args).items() if k != 'sets'},
                               report=report), args.out)
    return report


if __name__ == '__main__':
    sys.exit(run_tool(main))
