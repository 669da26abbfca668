"""Reading and building COCO detection files, with one error style."""
import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable, List, Optional, Sequence, Tuple

from .atomic import PathLike


@dataclass
class ImageRecord:
    """One image of a COCO file; ``boxes`` are ``(x1, y1, x2, y2, category_id)``.

    ``ignored`` holds boxes of the same form that training and evaluation
    ignore (COCO ``iscrowd=1``, e.g. VOC's ``<difficult>`` objects): mmdet's
    ``CocoDataset`` gives them ``ignore_flag=1`` and ``CocoMetric`` treats them
    as crowd regions; mmdgan's own readers never take them for objects.
    """

    file_name: str
    width: int
    height: int
    boxes: List[Tuple[float, float, float, float, int]] = field(default_factory=list)
    ignored: List[Tuple[float, float, float, float, int]] = field(default_factory=list)


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
        records: Images with their boxes (empty for clean images); their
            ``ignored`` boxes are written with ``iscrowd=1``.
        categories: Category names, in id order.

    Returns:
        A dict with ``images``, ``annotations`` and ``categories``.
    """
    images, annotations = [], []
    for img_id, rec in enumerate(records, start=1):
        images.append(dict(id=img_id, file_name=rec.file_name,
                           width=int(rec.width), height=int(rec.height)))
        for crowd, boxes in ((0, rec.boxes), (1, rec.ignored)):
            for x1, y1, x2, y2, cat in boxes:
                w, h = x2 - x1, y2 - y1
                annotations.append(dict(
                    id=len(annotations) + 1, image_id=img_id, category_id=int(cat),
                    bbox=[round(float(x1), 3), round(float(y1), 3),
                          round(float(w), 3), round(float(h), 3)],
                    area=round(float(w * h), 3), iscrowd=crowd))
    cats = [dict(id=i, name=name, supercategory='none')
            for i, name in enumerate(categories, start=1)]
    return dict(images=images, annotations=annotations, categories=cats)


def coco_records(coco: dict, source: PathLike = 'COCO file') -> List[ImageRecord]:
    """The images of a COCO dict with their boxes, in image order (inverse of :func:`make_coco`).

    Boxes become ``(x1, y1, x2, y2, category_id)`` in the image's own pixel frame;
    those marked ``iscrowd`` go to ``ignored``, the others to ``boxes``.

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
        (record.ignored if is_ignored(ann) else record.boxes).append(box)
    return list(records.values())


def is_ignored(ann: dict) -> bool:
    """Whether a COCO annotation is one that training and evaluation ignore
    (``iscrowd``: VOC's difficult objects, COCO's crowd regions)."""
    return bool(ann.get('iscrowd', 0))


#: ``info.file_names`` of a COCO file whose ``file_name`` entries are absolute
#: on purpose (the pooled files of cross-validation point into the dataset
#: folder from a fold folder); only such a file may name images by absolute path.
ABSOLUTE_FILE_NAMES = 'absolute'


def image_path(root: PathLike, file_name: str, source: PathLike,
               allow_outside: bool = False, coco: Optional[dict] = None) -> Path:
    """The image ``file_name`` of a COCO (or VOC) file, refused if it escapes ``root``.

    A ``file_name`` such as ``../../etc/passwd`` or ``/etc/passwd`` would
    otherwise be read from outside the dataset folder without a word. The
    check is on the path as written (``..`` and absolute paths), not on
    symbolic links, so a dataset may still link its images from elsewhere.

    Args:
        root: The folder ``file_name`` is relative to.
        file_name: The entry as written in the file.
        source: The annotation file, named in the error.
        allow_outside: The user's explicit opt-in (``--allow-outside-root``).
        coco: The COCO dict; if its ``info.file_names`` is
            :data:`ABSOLUTE_FILE_NAMES`, absolute names are accepted.

    Raises:
        ValueError: ``file_name`` is absolute or leaves ``root`` (one line
            naming ``source`` and the entry).
    """
    path = Path(root) / file_name
    if allow_outside:
        return path
    info = coco.get('info') if isinstance(coco, dict) else None
    if os.path.isabs(file_name):
        if isinstance(info, dict) and info.get('file_names') == ABSOLUTE_FILE_NAMES:
            return path
        raise ValueError(f'{source}: file_name {file_name!r} is an absolute path, outside '
                         f'the dataset folder {root} (pass --allow-outside-root to read it)')
    if os.path.normpath(file_name).split(os.sep)[0] == os.pardir:
        raise ValueError(f'{source}: file_name {file_name!r} leads outside the dataset folder '
                         f'{root} (pass --allow-outside-root to read it)')
    return path
