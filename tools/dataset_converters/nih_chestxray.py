"""Convert NIH ChestX-ray14 (CSV boxes and labels + PNGs) to the unpaired COCO folder contract."""
import argparse
import sys

from mmdgan.datasets.converters.nih_chestxray import convert_nih_chestxray, format_counts
from mmdgan.utils.cli import add_converter_args, run_tool


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument('src', help='folder with BBox_List_2017.csv, Data_Entry_2017.csv '
                                    'and the images')
    add_converter_args(parser)
    parser.add_argument('--findings', nargs='+', default=['Nodule', 'Mass'],
                        help='finding labels kept as box classes')
    parser.add_argument('--max-clean', type=int, default=None,
                        help='keep at most this many "No Finding" images')
    return parser.parse_args(argv)


def main(argv=None) -> None:
    args = parse_args(argv)
    counts, stats = convert_nih_chestxray(args.src, args.out, findings=args.findings,
                                          seed=args.seed, size=args.size or None,
                                          max_clean=args.max_clean, overwrite=args.overwrite)
    print(format_counts(counts, stats))


if __name__ == '__main__':
    sys.exit(run_tool(main))
