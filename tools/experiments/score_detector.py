"""Score a detector of the cross-validated comparison: held-out metrics + operating point.

    python tools/experiments/score_detector.py CONFIG CKPT --eval-ann eval.json \\
        --op-ann train.json --out-dir DIR --metrics-out metrics.json [--cfg-options ...]
"""
import argparse
from typing import List, Optional

from mmdgan.evaluation.operating_point import OP_SENSITIVITY, score_detector
from mmdgan.fileio import write_json_atomic
from mmdgan.utils.cli import CfgOptionsAction


def parse_args(argv: Optional[List[str]] = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('config', help='detector config')
    parser.add_argument('checkpoint', help='detector checkpoint')
    parser.add_argument('--eval-ann', required=True, help='held-out COCO file (lesion + normal)')
    parser.add_argument('--op-ann', required=True,
                        help='labelled training COCO file that fixes the operating point')
    parser.add_argument('--out-dir', required=True, help='detections and logs go here')
    parser.add_argument('--metrics-out', required=True, help='json file of the metrics')
    parser.add_argument('--op-sensitivity', type=float, default=OP_SENSITIVITY,
                        help='training lesion sensitivity of the operating point')
    parser.add_argument('--cfg-options', nargs='+', action=CfgOptionsAction, default={},
                        help='override config entries, key=value')
    return parser.parse_args(argv)


def main(argv: Optional[List[str]] = None) -> dict:
    args = parse_args(argv)
    metrics = score_detector(args.config, args.checkpoint, args.eval_ann, args.op_ann,
                             args.out_dir, args.cfg_options, args.op_sensitivity)
    write_json_atomic(metrics, args.metrics_out)
    return metrics


if __name__ == '__main__':
    main()
