"""Draw the ``breast`` box region (no film labels, no pectoral muscle) on mammograms.

    python tools/analysis_tools/box_region_figure.py ../shared/data/mini-mias/images \
        --films mdb001 mdb002 mdb005 mdb006 mdb021 mdb022 mdb031 mdb098 \
        --out docs/box_region_breast_mini-mias.png
"""
import argparse
import sys
from pathlib import Path
from typing import List, Optional

from mmdgan.visualization import region_figure

DEFAULT_FILMS = ('mdb001', 'mdb002', 'mdb005', 'mdb006', 'mdb021', 'mdb022', 'mdb031', 'mdb098')


def parse_args(argv: Optional[List[str]] = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('images', help='folder of the films')
    parser.add_argument('--films', nargs='+', default=list(DEFAULT_FILMS),
                        help='file stems, in figure order')
    parser.add_argument('--suffix', default='.png')
    parser.add_argument('--columns', type=int, default=4)
    parser.add_argument('--size', type=int, default=256, help='tile side in pixels')
    parser.add_argument('--out', required=True, help='figure file (.png)')
    return parser.parse_args(argv)


def main(argv: Optional[List[str]] = None) -> int:
    args = parse_args(argv)
    files = [Path(args.images) / f'{stem}{args.suffix}' for stem in args.films]
    try:
        out = region_figure(files, args.out, args.columns, args.size)
    except (FileNotFoundError, ValueError) as exc:
        print(f'error: {exc}', file=sys.stderr)
        return 1
    print(f'wrote {out}')
    return 0


if __name__ == '__main__':
    sys.exit(main())
