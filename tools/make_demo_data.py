"""Generate a procedural demo dataset.

``--domain radiograph`` (default): grey, one class ``lesion``
(``mmdgan/datasets/demo.py``). ``--domain colour``: colour photographs-like
textures with two classes, ``disc`` and ``square`` (``mmdgan/datasets/demo_colour.py``).
"""
import argparse
import sys
import time

from mmdgan.datasets.demo import format_counts, make_demo_dataset
from mmdgan.datasets.demo_colour import make_colour_demo_dataset
from mmdgan.utils.cli import add_debug_arg, run_tool


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument('--out', required=True, help='output dataset folder')
    parser.add_argument('--seed', type=int, default=0)
    parser.add_argument('--domain', choices=('radiograph', 'colour'), default='radiograph',
                        help='grey one-class films or colour two-class textures')
    parser.add_argument('--num-clean', type=int, default=200, help='clean training images (X)')
    parser.add_argument('--num-labelled', type=int, default=60,
                        help='labelled training images (Y)')
    parser.add_argument('--num-heldout', type=int, default=150,
                        help='labelled images in each of val and test')
    parser.add_argument('--size', type=int, default=256, help='image side in pixels')
    add_debug_arg(parser)
    parser.add_argument('--overwrite', action='store_true',
                        help='replace an existing --out (only if it is a dataset folder)')
    return parser.parse_args(argv)


def main(argv=None) -> None:
    args = parse_args(argv)
    start = time.perf_counter()
    make = make_colour_demo_dataset if args.domain == 'colour' else make_demo_dataset
    counts = make(args.out, seed=args.seed, num_clean=args.num_clean,
                  num_labelled=args.num_labelled, size=args.size,
                  num_heldout=args.num_heldout, overwrite=args.overwrite)
    print(format_counts(counts))
    print(f'wrote {args.out} in {time.perf_counter() - start:.1f} s')


if __name__ == '__main__':
    sys.exit(run_tool(main))
