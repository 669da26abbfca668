"""Describe a COCO dataset folder made by any tool: write its ``meta.json``.

Reads the classes (training file categories), the image channels and the box
sizes per class from the folder's COCO files and images, and prints them. The
converters and the demo generator write ``meta.json`` themselves; configs with
``dataset_meta='auto'`` read the files directly when it is missing, so this is
for looking at a folder, or for fixing its description in place.

A COCO dataset whose files have other names, or whose images live under a
prefix, names each part the OpenMMLab way (``ann_file`` + image prefix,
both relative to the folder); ``meta.json`` records that layout, and configs,
synthesis and cross-validation folds then read it from there::

    python tools/dataset_converters/describe.py data/shapes \\
        --ann-file train=annotations/train.json --img-prefix train=train/ \\
        --ann-file val=annotations/val.json --img-prefix val=val/

``--clean-crops`` also writes clean context crops of the labelled training
images (for a folder without clean images; training makes them on first use).
"""
import argparse
import json
import sys
from typing import Dict, List, Optional

from mmdgan.fileio.clean_crops import make_clean_crops
from mmdgan.fileio.dataset_folder import PARTS, dataset_files
from mmdgan.fileio.dataset_meta import folder_files, write_dataset_meta
from mmdgan.utils.cli import add_debug_arg, run_tool


def _pairs(values: Optional[List[str]], option: str) -> Dict[str, str]:
    """``PART=VALUE`` strings as a dict; a malformed one is a one-line error."""
    out: Dict[str, str] = {}
    for value in values or []:
        part, sep, rest = value.partition('=')
        if not sep or part not in PARTS:
            raise ValueError(f'{option} {value!r}: expected PART=VALUE with PART one of '
                             f'{", ".join(PARTS)}')
        out[part] = rest
    return out


def layout(ann_files: Optional[List[str]], img_prefixes: Optional[List[str]]) -> Optional[dict]:
    """The ``dataset_files`` of ``--ann-file`` / ``--img-prefix`` (``None``: the contract)."""
    anns, prefixes = _pairs(ann_files, '--ann-file'), _pairs(img_prefixes, '--img-prefix')
    if not anns and not prefixes:
        return None
    given = {}
    for part in PARTS:
        entry = {}
        if part in anns:
            entry['ann_file'] = anns[part]
        if part in prefixes:
            entry['data_prefix'] = dict(img=prefixes[part])
        if entry:
            given[part] = entry
    return dataset_files(given, 'describe.py --ann-file/--img-prefix')


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('root', help='dataset folder (train.json, images; clean_*.json optional)')
    parser.add_argument('--ann-file', action='append', metavar='PART=FILE',
                        help=f'COCO file of a part, relative to ROOT (parts: {", ".join(PARTS)}; '
                        'default: the contract\'s PART.json)')
    parser.add_argument('--img-prefix', action='append', metavar='PART=FOLDER',
                        help='folder inside ROOT that the part\'s file_name entries are '
                        'relative to (default: ROOT itself)')
    parser.add_argument('--clean-crops', action='store_true',
                        help='also write clean_crops_train.json (crops away from every box)')
    add_debug_arg(parser)
    return parser.parse_args(argv)


def main(argv=None) -> None:
    args = parse_args(argv)
    # Without options: the layout meta.json already records, else the contract's.
    files = layout(args.ann_file, args.img_prefix) or folder_files(args.root)
    meta = write_dataset_meta(args.root, files)
    print(json.dumps(meta, indent=1))
    if args.clean_crops:
        path, num = make_clean_crops(args.root, files['train']['ann_file'],
                                     img_prefix=files['train']['data_prefix']['img'])
        print(f'wrote {num} clean context crops to {path}')


if __name__ == '__main__':
    sys.exit(run_tool(main))
