"""Convert a Pascal VOC folder to the unpaired COCO folder contract."""
import argparse
import sys

from mmdgan.datasets.converters.voc import convert_voc, format_counts
from mmdgan.utils.cli import add_converter_args, run_tool


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument('src', help='folder with Annotations/ and JPEGImages/')
    add_converter_args(parser)
    parser.add_argument('--classes', nargs='+', required=True,
                        help='target classes; images without any become clean (X)')
    parser.add_argument('--allow-outside-root', action='store_true',
                        help='read images whose <filename> leaves JPEGImages/ (../ or an '
                        'absolute path); refused otherwise')
    parser.add_argument('--keep-difficult', action='store_true',
                        help='write <difficult> objects as ordinary boxes (default: ignored '
                        'boxes, COCO iscrowd=1, that training and evaluation ignore)')
    return parser.parse_args(argv)


def main(argv=None) -> None:
    args = parse_args(argv)
    counts, stats = convert_voc(args.src, args.out, classes=args.classes, seed=args.seed,
                                size=args.size or None, overwrite=args.overwrite,
                                allow_outside_root=args.allow_outside_root,
                                keep_difficult=args.keep_difficult)
    print(format_counts(counts, stats))


if __name__ == '__main__':
    sys.exit(run_tool(main))
