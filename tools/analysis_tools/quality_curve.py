"""Plot and tabulate insertion quality over GAN training (InsertionQualityHook curves).

    python tools/analysis_tools/quality_curve.py DetectorGAN=work_dirs/dgan \
        no-detector=work_dirs/nodet --out curve.png [--markdown curve.md] [--title TEXT]

Each NAME=PATH is a work dir holding ``insertion_quality.json`` (or the file
itself). The figure shows kernel and Fréchet distances per iteration with each
run's clean-crop reference (dashed) and half of it (dotted, the target);
``--markdown`` writes one table per run.
"""
import argparse
import sys
from typing import List, Optional

from mmdgan.evaluation.quality_curve import curve_table, load_curve, plot_curves
from mmdgan.fileio import write_text_atomic
from mmdgan.utils.cli import add_debug_arg, run_tool


def parse_args(argv: Optional[List[str]] = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('runs', nargs='+', metavar='NAME=PATH',
                        help='run name and its work dir (or insertion_quality.json)')
    parser.add_argument('--out', required=True, help='figure file (.png, .svg, ...)')
    parser.add_argument('--markdown', help='also write the tables here')
    parser.add_argument('--title', default='')
    add_debug_arg(parser)
    args = parser.parse_args(argv)
    for item in args.runs:
        if '=' not in item or not item.split('=', 1)[0]:
            parser.error(f'runs are NAME=PATH, got {item!r}')
    return args


def main(argv: Optional[List[str]] = None) -> dict:
    args = parse_args(argv)
    curves = {name: load_curve(path)
              for name, path in (item.split('=', 1) for item in args.runs)}
    plot_curves(curves, args.out, args.title)
    tables = [f'## {name}\n\n{curve_table(curve)}' for name, curve in curves.items()]
    if args.markdown:
        write_text_atomic('\n'.join(tables), args.markdown)
    print('\n'.join(tables))
    print(f'wrote {args.out}')
    return curves


if __name__ == '__main__':
    sys.exit(run_tool(main))
