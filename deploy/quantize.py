"""Make an int8 or fp16 variant of an exported generator, gated by PSNR vs fp32.

Example:
    python deploy/quantize.py inserter.onnx --out inserter_int8.onnx --mode int8 \
        --calib-data data/mini-mias/clean_train.json
"""
import argparse
import sys

from mmdgan.deploy.onnx_io import check_onnx_out
from mmdgan.deploy.quantize import CALIBRATION, MODES, quantize_model
from mmdgan.utils.cli import run_tool


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('model', help='fp32 .onnx written by deploy/export_onnx.py')
    parser.add_argument('--out', required=True, help='output .onnx (written only if it passes)')
    parser.add_argument('--overwrite', action='store_true', help='replace an existing --out')
    parser.add_argument('--mode', choices=MODES, required=True)
    parser.add_argument('--calib-data', required=True,
                        help='folder of clean images or a clean COCO json; the first '
                             '--num-calib images calibrate, the next --num-heldout gate')
    parser.add_argument('--num-calib', type=int, default=32)
    parser.add_argument('--num-heldout', type=int, default=8)
    parser.add_argument('--min-psnr', type=float, default=30.0,
                        help='gate in dB inside the boxes, against the fp32 model')
    parser.add_argument('--size', type=int, default=256, help='images are resized to this side')
    parser.add_argument('--calibration', choices=sorted(CALIBRATION), default='percentile')
    parser.add_argument('--quantize-ends', action='store_true',
                        help='also quantize the first and last Conv (faster, lower PSNR)')
    parser.add_argument('--seed', type=int, default=0)
    return parser.parse_args(argv)


def main(argv=None) -> int:
    args = parse_args(argv)
    try:
        check_onnx_out(args.out, args.overwrite, inputs=[args.model])
        report = quantize_model(args.model, args.out, args.mode, args.calib_data,
                                num_calib=args.num_calib, num_heldout=args.num_heldout,
                                min_psnr=args.min_psnr, size=args.size,
                                calibration=args.calibration,
                                keep_fp32_ends=not args.quantize_ends, seed=args.seed)
    except (ValueError, FileNotFoundError, FileExistsError) as exc:
        print(f'error: {exc}', file=sys.stderr)
        return 1
    print(f'wrote {report.out} ({report.mode}): PSNR vs fp32 {report.psnr:.2f} dB inside '
          f'the boxes, {report.psnr_full_image:.2f} dB whole image, on {report.num_heldout} '
          f'held-out images ({report.num_calib} calibration images)')
    return 0


if __name__ == '__main__':
    sys.exit(run_tool(main))
