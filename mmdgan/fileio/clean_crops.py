"""Clean context crops cut from labelled images, for datasets without clean images.

Many detection datasets have no object-free images. The local-crop inserter
only ever sees a window a few times a box's size, so clean *crops* serve as
its X domain: the largest strip of each labelled training image that stays
``margin`` box sides away from every box.

Box sizes are drawn relative to the image they are inserted in, so an object
inserted into a crop half the width of its source image comes out half as
wide in absolute pixels as it would there; the crops keep at least
``min_fraction`` of each image side to bound that.
"""
import logging
from pathlib import Path
from typing import Dict, List, Optional, Tuple

import numpy as np
from mmengine.logging import print_log

from .atomic import PathLike, write_json_atomic
from .coco import ImageRecord, coco_records, image_path, load_coco, make_coco
from .dataset_folder import contract_files
from .image import read_image, write_image_atomic

#: The COCO file of the crops, next to the folder's own files.
CROPS_FILE = 'clean_crops_train.json'
CROPS_DIR = 'images/clean_crops'


def box_free_strip(boxes: np.ndarray, width: int, height: int,
                   margin: float) -> Optional[Tuple[int, int, int, int]]:
    """The largest full-height or full-width strip clear of every box.

    Args:
        boxes: ``(K, 4)`` xyxy pixel boxes.
        width: Image width.
        height: Image height.
        margin: Clearance around each box, as a multiple of its longer side.

    Returns:
        ``(x1, y1, x2, y2)`` integer pixel bounds, or ``None`` without room.
    """
    boxes = np.asarray(boxes, np.float64).reshape(-1, 4)
    if not len(boxes):
        return 0, 0, width, height
    pad = margin * np.maximum(boxes[:, 2] - boxes[:, 0], boxes[:, 3] - boxes[:, 1])
    x1 = int(np.floor((boxes[:, 0] - pad).min()))
    y1 = int(np.floor((boxes[:, 1] - pad).min()))
    x2 = int(np.ceil((boxes[:, 2] + pad).max()))
    y2 = int(np.ceil((boxes[:, 3] + pad).max()))
    candidates = [(0, 0, x1, height), (x2, 0, width, height),
                  (0, 0, width, y1), (0, y2, width, height)]
    candidates = [(max(a, 0), max(b, 0), min(c, width), min(d, height))
                  for a, b, c, d in candidates]
    candidates = [c for c in candidates if c[2] > c[0] and c[3] > c[1]]
    if not candidates:
        return None
    return max(candidates, key=lambda c: (c[2] - c[0]) * (c[3] - c[1]))


def make_clean_crops(root: PathLike, ann_file: str = 'train.json', margin: float = 0.5,
                     min_fraction: float = 0.33, img_prefix: str = '') -> Tuple[Path, int]:
    """Write clean crops of ``root/ann_file``'s images and their COCO file.

    Args:
        root: Dataset folder.
        ann_file: Labelled COCO file whose images are cropped (the training
            split only, so that no held-out image leaks into training).
        margin: Clearance around every box, in multiples of its longer side.
        min_fraction: Smallest crop side as a fraction of the image side.
        img_prefix: Folder inside ``root`` that ``ann_file``'s ``file_name``
            entries are relative to. The crops' own names are relative to ``root``.

    Returns:
        The crops' COCO file (``root/clean_crops_train.json``) and the number
        of crops.

    Raises:
        ValueError: No image has a strip large enough.
    """
    root = Path(root)
    path = root / ann_file
    coco = load_coco(path, 'clean crops: labelled file', check_annotations=True)
    records: List[ImageRecord] = []
    for rec in coco_records(coco, path):
        # Ignored boxes (VOC difficult objects) are objects all the same: crops avoid them.
        strip = box_free_strip(np.asarray([b[:4] for b in rec.boxes + rec.ignored]),
                               rec.width, rec.height, margin)
        if strip is None:
            continue
        x1, y1, x2, y2 = strip
        if x2 - x1 < min_fraction * rec.width and y2 - y1 < min_fraction * rec.height:
            continue
        if min(x2 - x1, y2 - y1) < 16:
            continue
        img = read_image(image_path(root / img_prefix, rec.file_name, path, coco=coco))
        name = f'{CROPS_DIR}/{Path(rec.file_name).stem}.png'
        write_image_atomic(np.ascontiguousarray(img[y1:y2, x1:x2]), root / name)
        records.append(ImageRecord(name, x2 - x1, y2 - y1))
    if not records:
        raise ValueError(f'clean crops: no image of {path} has a box-free strip of at least '
                         f'{min_fraction:.0%} of its side; give clean images '
                         '(clean_train.json) instead')
    names = [c['name'] for c in sorted(coco['categories'], key=lambda c: c['id'])]
    out = root / CROPS_FILE
    write_json_atomic(make_coco(records, names), out)
    return out, len(records)


def clean_train_file(root: PathLike, min_images: int = 1,
                     files: Optional[Dict[str, dict]] = None) -> str:
    """The clean training file of ``root``, making crops when it has none.

    Returns ``clean_train.json`` (or the clean training ``ann_file`` that
    ``files``, :func:`mmdgan.fileio.dataset_folder.dataset_files`, names)
    when it lists at least ``min_images`` images, else :data:`CROPS_FILE`
    (written on first use from the training part, logged), whose
    ``file_name`` entries are relative to ``root`` itself.
    """
    root = Path(root)
    files = files or contract_files()
    clean = root / files['clean_train']['ann_file']
    if clean.is_file():
        count = len(load_coco(clean, 'clean training file', keys=('images', ))['images'])
        if count >= min_images:
            return files['clean_train']['ann_file']
        reason = f'{clean} lists {count} image(s)'
    else:
        reason = f'{root} has no {files["clean_train"]["ann_file"]}'
    crops = root / CROPS_FILE
    if not crops.is_file():
        crops, num = make_clean_crops(root, files['train']['ann_file'],
                                      img_prefix=files['train']['data_prefix']['img'])
        print_log(f'{reason}: wrote {num} clean context crops of the labelled training '
                  f'images, away from every box, to {crops} (local-crop mode needs only '
                  'crops)', logger='current', level=logging.WARNING)
    else:
        print_log(f'{reason}: using the clean context crops of {crops}', logger='current',
                  level=logging.WARNING)
    return crops.name
