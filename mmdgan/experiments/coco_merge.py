"""Pool several COCO files of one dataset folder into one evaluation file."""
import os
from typing import Sequence

from mmdgan.fileio import load_coco, write_json_atomic


def merge_coco(ann_files: Sequence[os.PathLike], out_file: os.PathLike) -> dict:
    """Concatenate COCO files with identical categories, renumbering image and box ids.

    ``file_name`` entries are kept as they are, so the inputs must live in
    the same folder (the splits of one dataset do).

    Returns:
        ``dict(images=N, boxes=M)`` of the merged file.
    """
    if not ann_files:
        raise ValueError('merge_coco: no COCO file given')
    merged = dict(images=[], annotations=[], categories=None)
    for ann_file in ann_files:
        coco = load_coco(ann_file, 'evaluation COCO file')
        if merged['categories'] is None:
            merged['categories'] = coco['categories']
        elif coco['categories'] != merged['categories']:
            raise ValueError(f'{ann_file}: categories differ from {ann_files[0]}')
        new_ids = {}
        for img in coco['images']:
            new_ids[img['id']] = len(merged['images']) + 1
            merged['images'].append(dict(img, id=new_ids[img['id']]))
        for ann in coco.get('annotations', []):
            merged['annotations'].append(dict(ann, id=len(merged['annotations']) + 1,
                                              image_id=new_ids[ann['image_id']]))
    write_json_atomic(merged, out_file)
    return dict(images=len(merged['images']), boxes=len(merged['annotations']))
