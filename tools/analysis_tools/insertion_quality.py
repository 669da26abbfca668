"""Kernel and Fréchet distances of inserted object crops to real ones (EfficientNet-Lite0 features).

    python tools/analysis_tools/insertion_quality.py data/mini-mias/train.json \
        dgan=work_dirs/syn-dgan/train.json copy-paste=work_dirs/syn-cp/train.json \
        --clean-reference work_dirs/syn-dgan/train.json --clean-root data/mini-mias \
        [--out quality.json]

Each NAME=PATH is a synthetic dataset's ``train.json`` (tools/synthesize.py
output); ``--clean-reference`` also scores the clean films at the same boxes
(no insertion), the starting point any inserter should improve on, and adds
each set's kernel distance as a ratio to the clean crops'. With several
classes a second table gives the kernel distance (and ratio) per class; the
``--out`` json holds both (``report[NAME]['per_class'][CLASS]``).
"""
import argparse
import sys
from typing import Dict, List, Optional

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


def _number(row: dict, key: str, scale: float = 1.0) -> str:
    value = row.get(key)
    return '-' if value is None else f'{scale * value:.2f}'


def format_report(report: Dict[str, dict]) -> str:
    """The printed tables: every set, then (several classes) every set per class."""
    lines = [f'{"set":<16} {"kernel distance x1e3":>21} {"s.e. x1e3":>10} '
             f'{"ratio to clean":>15} {"Fréchet distance":>17}   crops']
    for name, row in report.items():
        lines.append(f'{name:<16} {_number(row, "kernel", 1e3):>21} '
                     f'{_number(row, "kernel_se", 1e3):>10} {_number(row, "ratio_to_clean"):>15} '
                     f'{_number(row, "frechet"):>17}   {row["num_crops"]}')
    classes = list(dict.fromkeys(c for row in report.values() for c in row.get('per_class', {})))
    if len(classes) > 1:
        lines += ['', f'{"set / class":<28} {"kernel distance x1e3":>21} {"s.e. x1e3":>10} '
                  f'{"ratio to clean":>15}   crops (real)']
        for name, row in report.items():
            if name == 'real':
                continue
            for cls in classes:
                cell = row['per_class'].get(cls, dict(num_crops=0))
                real = report['real']['per_class'].get(cls, {}).get('num_crops', 0)
                lines.append(f'{name + " / " + cls:<28} {_number(cell, "kernel", 1e3):>21} '
                             f'{_number(cell, "kernel_se", 1e3):>10} '
                             f'{_number(cell, "ratio_to_clean"):>15}   '
                             f'{cell["num_crops"]} ({real})')
    return '\n'.join(lines)


def main(argv: Optional[List[str]] = None) -> dict:
    args = parse_args(argv)
    embedder = CropEmbedder(args.crop_size, args.context, args.feature)
    report = insertion_quality(args.real, args.sets, args.clean_reference, args.clean_root,
                               embedder)
    print(format_report(report))
    if args.out:
        write_json_atomic(dict(settings=vars(args), report=report), args.out)
    return report


if __name__ == '__main__':
    sys.exit(run_tool(main))
