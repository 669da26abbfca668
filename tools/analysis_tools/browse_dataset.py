"""Browse a config's training set as the model sees it, mmdet style.

For DetectorGAN's unpaired dataset each picture shows the clean image with the
insertion boxes sampled for it beside a labelled image with its boxes::

    python tools/analysis_tools/browse_dataset.py \\
        configs/dgan_retinanet-effnet-lite0_local-crop_1xb4-2k_mini-mias.py \\
        --output-dir work_dirs/browse --not-show --num 20
"""
import argparse
import sys
from pathlib import Path
from typing import List, Optional

from mmdgan.fileio import write_image_atomic
from mmdgan.utils import load_config
from mmdgan.utils.cli import CfgOptionsAction, add_debug_arg, positive_int, run_tool
from mmdgan.visualization import browse_dataset


def parse_args(argv: Optional[List[str]] = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description='Browse a dataset')
    parser.add_argument('config', help='train config file path')
    parser.add_argument('--output-dir', help='write the drawn images into this directory')
    parser.add_argument('--not-show', action='store_true', help='do not show them in a window')
    parser.add_argument('--show-interval', type=float, default=2,
                        help='seconds each shown image stays up')
    parser.add_argument('--num', type=positive_int, help='how many samples (default: all)')
    parser.add_argument('--seed', type=int, default=0, help='seed of the sampled boxes')
    parser.add_argument('--cfg-options', nargs='+', action=CfgOptionsAction,
                        help='override config settings, key=value')
    add_debug_arg(parser)
    args = parser.parse_args(argv)
    if args.not_show and args.output_dir is None:
        parser.error('--not-show without --output-dir: nothing to do')
    return args


def main(argv: Optional[List[str]] = None) -> List[Path]:
    args = parse_args(argv)
    cfg = load_config(args.config, args.cfg_options)
    written = []
    visualizer = None
    for index, name, image in browse_dataset(cfg, args.num, args.seed):
        if args.output_dir is not None:
            path = Path(args.output_dir) / f'{index:05d}_{name}.png'
            path.parent.mkdir(parents=True, exist_ok=True)
            write_image_atomic(image[..., ::-1], path)  # RGB -> BGR for cv2
            written.append(path)
        if not args.not_show:
            if visualizer is None:
                from mmengine.visualization import Visualizer
                visualizer = Visualizer(name='browse_dataset_show')
            visualizer.show(image, win_name=name, wait_time=args.show_interval)
    if written:
        print(f'{len(written)} image(s) written to {args.output_dir}')
    return written


if __name__ == '__main__':
    sys.exit(run_tool(main))
