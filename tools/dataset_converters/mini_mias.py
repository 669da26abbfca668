"""Convert mini-MIAS (``Info.txt`` + ``images/``) to the unpaired COCO folder contract."""
import argparse
import sys

from mmdgan.datasets.converters.mini_mias import convert_mini_mias, format_counts
from mmdgan.utils.cli import add_converter_args, run_tool


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument('src', help='mini-MIAS folder with Info.txt and images/')
    add_converter_args(parser, default_size=512)
    parser.add_argument('--classes', choices=['lesion', 'all'], default='lesion',
                        help='one class "lesion", or one class per abnormality type')
    return parser.parse_args(argv)


def main(argv=None) -> None:
    args = parse_args(argv)
    counts, stats = convert_mini_mias(args.src, args.out, seed=args.seed, overwrite=args.overwrite,
                                      classes=args.classes, size=args.size or None)
    print(format_counts(counts, stats))


if __name__ == '__main__':
    sys.exit(run_tool(main))
