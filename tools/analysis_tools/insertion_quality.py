"""Kernel and Fréchet distances of inserted object crops to real ones (EfficientNet-Lite0 features).

    python tools/analysis_tools/insertion_quality.py data/mini-mias/train.json \
        dgan=work_dirs/syn-dgan/train.json copy-paste=work_dirs/syn-cp/train.json \
        --clean-reference work_dirs/syn-dgan/train.json --clean-root data/mini-mias \
        [--out quality.json]

Each NAME=PATH is a synthetic dataset's ``train.json`` (tools/synthesize.py
output); ``--clean-reference`` also scores the clean films at the same boxes
(no insertion), the starting point any inserter should improve on.
"""
import argparse
import sys
from typing import List, Optional

from mmdgan.evaluation.insertion_quality import CropEmbedder, insertion_quality
from mmdgan.fileio import write_json_atomic
from mmdgan.utils.cli import add_synthetic_sets_args, parse_synthetic_sets, run_tool


def parse_args(argv: Optional[List[str]] = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    add_synthetic_sets_args(parser, 'COCO file of the real objects (e.g. Y train.json)', '*')
    parser.add_argument('--clean-reference', help='synthetic train.json whose clean sources '
                        'are scored at the same boxes (reported as "clean")')
    parser.add_argument('--crop-size', type=int, default=128)
    parser.add_argument('--context', type=float, default=0.5)
    parser.add_argument('--feature', default='head', choices=['last_stage', 'head'])
    parser.add_argument('--out', help='write the report as json here too')
    args = parse_synthetic_sets(parser, argv)
    if not args.synthetic and not args.clean_reference:
        parser.error('nothing to score: give NAME=PATH sets and/or --clean-reference')
    return args


def main(argv: Optional[List[str]] = None) -> dict:
    args = parse_args(argv)
    embedder = CropEmbedder(args.crop_size, args.context, args.feature)
    report = insertion_quality(args.real, args.sets, args.clean_reference, args.clean_root,
                               embedder)
    print(f'{"set":<16} {"kernel distance x1e3":>21} {"s.e. x1e3":>10} '
          f'{"Fréchet distance":>17}   crops')
    for name, row in report.items():
        kernel = f'{1e3 * row["kernel"]:.2f}' if 'kernel' in row else '-'
        error = f'{1e3 * row["kernel_se"]:.2f}' if 'kernel_se' in row else '-'
        frechet = f'{row["frechet"]:.2f}' if 'frechet' in row else '-'
        print(f'{name:<16} {kernel:>21} {error:>10} {frechet:>17}   {row["num_crops"]}')
    if args.out:
        write_json_atomic(dict(settings=vars(args), report=report), args.out)
    return report


if __name__ == '__main__':
    sys.exit(run_tool(main))
