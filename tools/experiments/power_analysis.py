"""How many pairs or folds a cross-validated comparison needs, from its committed units.

    python tools/experiments/power_analysis.py results/mini-mias-cv --arm dgan \\
        --reference real-steps --fraction 0.25 --gain 0.2 --metrics AP50 mAP loc_top1

Reads ``<results_dir>/results.json`` (its settings) and ``<results_dir>/units/det/*.json``,
and prints, per metric, the measured spread of the paired differences ``arm - reference``
and the pairs (independent pairs) and folds (``--seeds`` detector seeds per fold) that a
two-sided 5 % paired t test needs to find a gain of ``--gain`` × the reference's mean with
80 % power (:func:`mmdgan.experiments.statistics.power_analysis`).
"""
import argparse
import json
from pathlib import Path
from typing import List, Optional

from mmdgan.experiments.statistics import CURVE_METRICS, METRIC_TITLES, power_analysis


def parse_args(argv: Optional[List[str]] = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('results_dir', help='a comparison\'s results folder (results.json, '
                        'units/det/)')
    parser.add_argument('--arm', default='dgan', help='the arm whose gain is tested')
    parser.add_argument('--reference', default='real-steps', help='the arm it is paired with')
    parser.add_argument('--fraction', type=float, default=0.25,
                        help='fraction of the labelled films (1 for the main comparison)')
    parser.add_argument('--gain', type=float, nargs='+', default=[0.2],
                        help='relative gains over the reference\'s mean to power for')
    parser.add_argument('--metrics', nargs='+', default=list(CURVE_METRICS),
                        choices=list(METRIC_TITLES))
    parser.add_argument('--seeds', type=int, nargs='+', default=[1, 2, 3, 5],
                        help='detector seeds per fold of the fold designs')
    parser.add_argument('--out', help='also write the numbers to this json file')
    return parser.parse_args(argv)


def main(argv: Optional[List[str]] = None) -> List[dict]:
    args = parse_args(argv)
    root = Path(args.results_dir)
    if not (root / 'results.json').is_file():
        raise SystemExit(f'{root}/results.json not found: run cross_validation.py '
                         f'--report-only for this results folder first')
    settings = json.loads((root / 'results.json').read_text())['settings']
    units = [json.loads(f.read_text()) for f in sorted((root / 'units' / 'det').glob('*.json'))]
    rows = [power_analysis(units, settings, args.arm, args.reference, args.fraction, metric,
                           gain, args.seeds)
            for metric in args.metrics for gain in args.gain]
    print(f'{args.arm} − {args.reference} at {args.fraction:g} of the labelled films '
          f'({root}); 80 % power, two-sided 5 %')
    print('| metric | reference mean | Δ measured | gain sought | pairs | SD of pair Δ | '
          'between-fold var | within-fold var | pairs needed | folds needed (seeds per fold) '
          '| detectable now: pairs / folds |')
    print('| --- ' * 11 + '|')
    for r in rows:
        folds = ', '.join(f'{k if k is not None else "> 100000"} ({s})'
                          for s, k in r['folds_needed'].items())
        print(f'| {METRIC_TITLES[r["metric"]]} | {r["reference_mean"]:.4f} | '
              f'{r["mean_diff"]:+.4f} | {r["gain"]:.0%} = {r["effect"]:+.4f} | {r["pairs"]} | '
              f'{r["std"]:.4f} | {r["between"]:.6f} | {r["within"]:.6f} | '
              f'{r["pairs_needed"]} | {folds} | {r["detectable_pairs"]:+.4f} / '
              f'{r["detectable_folds"]:+.4f} |')
    if args.out:
        from mmdgan.fileio import write_json_atomic
        write_json_atomic(rows, args.out)
    return rows


if __name__ == '__main__':
    main()
