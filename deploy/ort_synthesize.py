"""Synthesize a detection dataset with an ONNX inserter (ONNX Runtime backend).

Thin wrapper over ``mmdgan.apis.synthesize.synthesize(..., backend='onnxruntime')``;
the config provides the box sampler and Y's categories, the ``.onnx`` file the
inserter.

Example:
    python deploy/ort_synthesize.py configs/dgan_x.py inserter.onnx \
        --clean data/mini-mias/clean_train.json --num 200 --out data/syn
"""
import argparse
import sys

from mmdgan.utils.cli import CfgOptionsAction, positive_int, run_tool


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('config', help='DetectorGAN config (box sampler, classes)')
    parser.add_argument('onnx_model', help='inserter .onnx from deploy/export_onnx.py')
    parser.add_argument('--clean', required=True, help='clean COCO json (X)')
    parser.add_argument('--num', type=positive_int, required=True, help='images to synthesize')
    parser.add_argument('--out', required=True, help='output dataset folder')
    parser.add_argument('--seed', type=int, default=0)
    parser.add_argument('--batch-size', type=positive_int, default=8)
    parser.add_argument('--cfg-options', nargs='+', action=CfgOptionsAction,
                        help='override config entries, e.g. '
                             'train_dataloader.dataset.data_root=data/demo/')
    return parser.parse_args(argv)


def main(argv=None) -> int:
    args = parse_args(argv)
    try:
        from mmdgan.apis.synthesize import synthesize
        from mmdgan.utils import load_config
    except ImportError as exc:
        print(f'error: mmdgan.apis.synthesize is not available ({exc})', file=sys.stderr)
        return 1
    try:
        cfg = load_config(args.config, args.cfg_options)
        synthesize(cfg, None, args.clean, args.num, args.out,
                   backend='onnxruntime', seed=args.seed, batch_size=args.batch_size,
                   onnx_model=args.onnx_model)
    except (ValueError, FileNotFoundError, KeyError, RuntimeError) as exc:
        print(f'error: {exc}', file=sys.stderr)
        return 1
    print(f'wrote {args.out}')
    return 0


if __name__ == '__main__':
    sys.exit(run_tool(main))
