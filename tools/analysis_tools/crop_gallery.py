"""Real object crops above clean | inserted pairs of each synthetic set, as one PNG.

    python tools/analysis_tools/crop_gallery.py data/mini-mias/train.json \
        dgan=work_dirs/syn-dgan/train.json copy-paste=work_dirs/syn-cp/train.json \
        --out gallery.png [--num 8] [--size 64] [--context 1] [--title ...]

Each NAME=PATH is a synthetic dataset's ``train.json`` (tools/synthesize.py
output, which records the clean film each image was made from); the first
``--num`` boxes of each set are shown beside the same boxes of the clean film.
Where the crops are of several classes, each is labelled with its class.
"""
import argparse
import sys
from typing import List, Optional

from mmdgan.evaluation.crop_gallery import crop_gallery, save_crop_gallery
from mmdgan.utils import cli


def parse_args(argv: Optional[List[str]] = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    cli.add_synthetic_sets_args(parser, 'COCO file of the real objects (first row)')
    parser.add_argument('--out', required=True, help='PNG to write')
    parser.add_argument('--num', type=int, default=8, help='pairs per row')
    parser.add_argument('--size', type=int, default=64, help='crop side, pixels')
    parser.add_argument('--context', type=float, default=1.0,
                        help='margin per side, as a fraction of the box')
    parser.add_argument('--title', default='')
    return cli.parse_synthetic_sets(parser, argv)


def main(argv: Optional[List[str]] = None) -> str:
    args = parse_args(argv)
    canvas, names, labels = crop_gallery(args.real, args.sets, args.num, args.size,
                                         args.context, args.clean_root, return_labels=True)
    # Crops are labelled by class where there are several.
    save_crop_gallery(canvas, names, args.size, args.out, args.title, labels)
    print(f'wrote {args.out} ({len(names)} rows)')
    return args.out


if __name__ == '__main__':
    sys.exit(cli.run_tool(main))
