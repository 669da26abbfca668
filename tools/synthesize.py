"""Write a synthetic detection dataset (images + COCO ``train.json``).

GAN inserter (default)::

    python tools/synthesize.py CONFIG CKPT --clean data/demo/clean_train.json \\
        --num 200 --out work_dirs/syn/demo [--backend onnxruntime --onnx G_X.onnx]

Copy-paste baseline (CONFIG optional: with it, the same box sampler, target
class and resolution as the GAN)::

    python tools/synthesize.py --method copy-paste --labelled data/demo/train.json \\
        --clean data/demo/clean_train.json --num 200 --out work_dirs/syn/cp

With a CONFIG, ``--clean`` and ``--labelled`` default to the GAN's training
sets, read with its image prefixes (a COCO dataset that keeps its images
apart, docs/your-data.md).
"""
import argparse
import sys

from mmdgan.utils.cli import CfgOptionsAction, add_debug_arg, positive_int, run_tool


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('config', nargs='?', help='DetectorGAN config')
    parser.add_argument('checkpoint', nargs='?', help='DetectorGAN checkpoint (method gan)')
    parser.add_argument('--method', choices=['gan', 'copy-paste'], default='gan')
    parser.add_argument('--clean', help='clean COCO file (X), e.g. clean_train.json (default: '
                        'the config\'s training clean set)')
    parser.add_argument('--clean-img-root', help='folder the --clean file\'s file_name entries '
                        'are relative to (default: its own folder)')
    parser.add_argument('--labelled', help='labelled COCO file (Y train) for copy-paste '
                        '(default: the config\'s labelled_ann_file)')
    parser.add_argument('--num', type=positive_int, required=True,
                        help='number of synthetic images')
    parser.add_argument('--out', required=True, help='output dataset folder')
    parser.add_argument('--backend', choices=['pytorch', 'onnxruntime'], default='pytorch')
    parser.add_argument('--onnx', help='exported inserter for --backend onnxruntime')
    parser.add_argument('--blend', choices=['poisson', 'feather'], default='poisson',
                        help='copy-paste blending')
    parser.add_argument('--seed', type=int, default=0)
    parser.add_argument('--batch-size', type=positive_int, default=8)
    parser.add_argument('--device', default='cpu')
    parser.add_argument('--overwrite', action='store_true', help='replace an existing --out')
    parser.add_argument('--no-progress', action='store_true')
    parser.add_argument('--allow-outside-root', action='store_true',
                        help='read images whose COCO file_name leaves the COCO file\'s folder '
                        '(../ or an absolute path); refused otherwise')
    parser.add_argument('--cfg-options', nargs='+', action=CfgOptionsAction,
                        help='override config entries, e.g. train_dataloader.dataset.data_root=X')
    add_debug_arg(parser)
    args = parser.parse_args(argv)
    if args.method == 'gan' and args.config is None:
        parser.error('method gan needs CONFIG (and CKPT unless --backend onnxruntime)')
    if args.method == 'gan' and args.backend == 'pytorch' and args.checkpoint is None:
        parser.error('method gan with the pytorch backend needs CKPT')
    if args.method == 'copy-paste' and args.config is None and args.labelled is None:
        parser.error('copy-paste needs --labelled or a CONFIG naming labelled_ann_file')
    if args.clean is None and args.config is None:
        parser.error('--clean is needed without a CONFIG')
    if args.clean_img_root is not None and args.clean is None:
        parser.error('--clean-img-root goes with --clean')
    return args


def main(argv=None) -> None:
    args = parse_args(argv)
    cfg = None
    if args.config is not None:
        from mmdgan.utils import load_config
        cfg = load_config(args.config, args.cfg_options)
    progress = not args.no_progress
    clean, clean_img_root = args.clean, args.clean_img_root
    if clean is None:
        from mmdgan.synthesis import config_set
        clean, clean_img_root = config_set(cfg, 'clean')
    if args.method == 'gan':
        from mmdgan.apis.synthesize import synthesize
        out = synthesize(cfg, args.checkpoint, clean, args.num, args.out,
                         backend=args.backend, seed=args.seed, batch_size=args.batch_size,
                         onnx_model=args.onnx, device=args.device, overwrite=args.overwrite,
                         progress=progress, allow_outside_root=args.allow_outside_root,
                         clean_img_root=clean_img_root)
    else:
        from mmdgan.synthesis import box_sampler_cfg, config_set, copy_paste_synthesize, gan_resize
        box_sampler = resize = target_class = img_root = None
        labelled = args.labelled
        if cfg is not None:
            dataset = cfg.train_dataloader.dataset
            box_sampler = box_sampler_cfg(cfg)
            resize, target_class = gan_resize(cfg), dataset.get('target_class')
            if labelled is None:
                labelled, img_root = config_set(cfg, 'labelled')
        out = copy_paste_synthesize(labelled, clean, args.num, args.out, box_sampler,
                                    args.blend, target_class, args.seed, resize,
                                    args.overwrite, progress, args.allow_outside_root,
                                    img_root, clean_img_root)
    print(f'synthetic dataset written to {out}')


if __name__ == '__main__':
    sys.exit(run_tool(main))
