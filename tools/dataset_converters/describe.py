"""Describe a COCO dataset folder made by any tool: write its ``meta.json``.

Reads the classes (``train.json`` categories), the image channels and the box
sizes per class from the folder's COCO files and images, and prints them. The
converters and the demo generator write ``meta.json`` themselves; configs with
``dataset_meta='auto'`` read the files directly when it is missing, so this is
for looking at a folder, or for fixing its description in place.
``--clean-crops`` also writes clean context crops of the labelled training
images (for a folder without clean images; training makes them on first use).
"""
import argparse
import json
import sys

from mmdgan.fileio.clean_crops import make_clean_crops
from mmdgan.fileio.dataset_meta import write_dataset_meta
from mmdgan.utils.cli import add_debug_arg, run_tool


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument('root', help='dataset folder (train.json, images; clean_*.json optional)')
    parser.add_argument('--clean-crops', action='store_true',
                        help='also write clean_crops_train.json (crops away from every box)')
    add_debug_arg(parser)
    return parser.parse_args(argv)


def main(argv=None) -> None:
    args = parse_args(argv)
    meta = write_dataset_meta(args.root)
    print(json.dumps(meta, indent=1))
    if args.clean_crops:
        path, num = make_clean_crops(args.root)
        print(f'wrote {num} clean context crops to {path}')


if __name__ == '__main__':
    sys.exit(run_tool(main))
