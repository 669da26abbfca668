"""Export a trained DetectorGAN generator to ONNX (checked against PyTorch).

Example:
    python deploy/export_onnx.py configs/dgan_x.py work_dirs/x/iter_2000.pth \
        --out work_dirs/x/inserter.onnx
"""
import argparse
import sys

from mmdgan.deploy.export import DEFAULT_OPSET, EXPORTERS, export_onnx
from mmdgan.deploy.onnx_io import check_onnx_out
from mmdgan.utils import load_config
from mmdgan.utils.cli import CfgOptionsAction, run_tool


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('config', help='DetectorGAN config file')
    parser.add_argument('checkpoint', help="checkpoint file, or 'none' for random weights")
    parser.add_argument('--out', required=True, help='output .onnx file')
    parser.add_argument('--overwrite', action='store_true', help='replace an existing --out')
    parser.add_argument('--which', choices=('inserter', 'remover'), default='inserter')
    parser.add_argument('--opset', type=int, default=DEFAULT_OPSET)
    parser.add_argument('--fp16', action='store_true',
                        help='write an fp16 graph (float32 I/O), PSNR-gated against fp32')
    parser.add_argument('--exporter', choices=EXPORTERS, default='dynamo')
    parser.add_argument('--atol', type=float, default=1e-4,
                        help='max abs difference allowed against PyTorch (fp32)')
    parser.add_argument('--min-psnr', type=float, default=30.0, help='fp16 gate in dB')
    parser.add_argument('--cfg-options', nargs='+', action=CfgOptionsAction,
                        help='override config entries, e.g. data_root=data/my-set/ (a generic '
                        '*_custom config reads its channels and classes from that folder)')
    return parser.parse_args(argv)


def main(argv=None) -> int:
    args = parse_args(argv)
    try:
        check_onnx_out(args.out, args.overwrite, inputs=[args.checkpoint])
        config = load_config(args.config, args.cfg_options) if args.cfg_options else args.config
        report = export_onnx(config, args.checkpoint, args.out, which=args.which,
                             exporter=args.exporter, opset=args.opset, fp16=args.fp16,
                             atol=args.atol, min_psnr=args.min_psnr)
    except (ValueError, FileNotFoundError, FileExistsError, KeyError) as exc:
        print(f'error: {exc}', file=sys.stderr)
        return 1
    worst = max(report.parity.values())
    print(f'wrote {report.out} ({report.precision}, {report.exporter}, opset {report.opset}); '
          f'max abs diff vs PyTorch {worst:.2e} over {len(report.parity)} cases '
          f'(real-looking: {report.real_inputs})'
          + (f'; fp16 PSNR {report.psnr:.1f} dB' if report.psnr is not None else ''))
    return 0


if __name__ == '__main__':
    sys.exit(run_tool(main))
