"""Reading and building COCO detection files, with one error style."""
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable, List, Sequence, Tuple

from .atomic import PathLike


@dataclass
class ImageRecord:
    """One image of a COCO file; ``boxes`` are ``(x1, y1, x2, y2, category_id)``."""

    file_name: str
    width: int
    height: int
    boxes: List[Tuple[float, float, float, float, int]] = field(default_factory=list)


def load_coco(path: PathLike, what: str = 'COCO file',
              keys: Sequence[str] = ('images', 'categories'),
              check_annotations: bool = False) -> dict:
    """Read a COCO json, naming the file and the problem on failure.

    Args:
        path: The json file.
        what: How the file is called in error messages (``'clean COCO file'``).
        keys: Top-level lists the file must have.
        check_annotations: Also check every image and annotation entry (as
            :func:`coco_records` does), for readers that then index
            ``bbox`` / ``image_id`` themselves.

    Returns:
        The parsed dict.

    Raises:
        FileNotFoundError: ``path`` is not a file.
        ValueError: ``path`` is not json, or not a COCO detection file, or
            (``check_annotations``) an entry is malformed.
    """
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f'{what} not found: {path}')
    try:
        coco = json.loads(path.read_text())
    except (json.JSONDecodeError, UnicodeDecodeError) as e:
        raise ValueError(f'{what} {path} is not valid json: {e}') from None
    if not isinstance(coco, dict):
        raise ValueError(f'{what} {path} is not a COCO dict (got {type(coco).__name__})')
    for key in keys:
        if not isinstance(coco.get(key), list):
            raise ValueError(f'{what} {path} has no "{key}" list')
    if check_annotations:
        coco_records(coco, path)
    return coco


def make_coco(records: Iterable[ImageRecord], categories: Sequence[str]) -> dict:
    """Build a COCO detection dict (category ids start at 1).

    Args:
        records: Images with their boxes (empty for clean images).
        categories: Category names, in id order.

    Returns:
        A dict with ``images``, ``annotations`` and ``categories``.
    """
    images, annotations = [], []
    for img_id, rec in enumerate(records, start=1):
        images.append(dict(id=img_id, file_name=rec.file_name,
                           width=int(rec.width), height=int(rec.height)))
        for x1, y1, x2, y2, cat in rec.boxes:
            w, h = x2 - x1, y2 - y1
            annotations.append(dict(
                id=len(annotations) + 1, image_id=img_id, category_id=int(cat),
                bbox=[round(float(x1), 3), round(float(y1), 3),
                      round(float(w), 3), round(float(h), 3)],
                area=round(float(w * h), 3), iscrowd=0))
    cats = [dict(id=i, name=name, supercategory='none')
            for i, name in enumerate(categories, start=1)]
    return dict(images=images, annotations=annotations, categories=cats)


def coco_records(coco: dict, source: PathLike = 'COCO file') -> List[ImageRecord]:
    """The images of a COCO dict with their boxes, in image order (inverse of :func:`make_coco`).

    Boxes become ``(x1, y1, x2, y2, category_id)`` in the image's own pixel frame.

    Args:
        coco: A dict from :func:`load_coco`.
        source: Its file, named in errors.

    Raises:
        ValueError: An image or annotation lacks a field, or an annotation
            names an image the file does not have (one line, naming ``source``).
    """
    try:
        records = {info['id']: ImageRecord(info['file_name'], info['width'], info['height'])
                   for info in coco['images']}
    except (KeyError, TypeError) as e:
        raise ValueError(f'{source}: an image entry lacks {e} (needs id, file_name, width, '
                         'height)') from None
    for ann in coco.get('annotations', []):
        try:
            x, y, w, h = ann['bbox']
            record = records[ann['image_id']]
            box = (x, y, x + w, y + h, ann['category_id'])
        except (KeyError, TypeError, ValueError) as e:
            name = ann.get('id', '?') if isinstance(ann, dict) else repr(ann)
            raise ValueError(f'{source}: annotation {name} is malformed ({type(e).__name__}: '
                             f'{e}; needs bbox [x, y, w, h], an image_id of the file and '
                             'category_id)') from None
        record.boxes.append(box)
    return list(records.values())
