"""What a dataset folder says about itself: classes, channels, box sizes.

Every converter and the demo generator write ``meta.json`` next to the COCO
files (:func:`write_dataset_meta`); :func:`dataset_meta` reads it, or, for a
COCO folder made by any other tool, derives the same description from the
COCO files and the images themselves. Configs, models and tools read the
classes and channels from here instead of assuming one grey channel and one
class (``docs/your-data.md``).
"""
import json
from pathlib import Path
from typing import Dict, List, Optional, Sequence

import cv2
import numpy as np

from .atomic import PathLike, write_json_atomic
from .coco import image_path, is_ignored, load_coco
from .dataset_folder import contract_files, dataset_files, part_paths
from .image import read_image

META_FILE = 'meta.json'
META_FORMAT = 'mmdgan-dataset-meta'
META_VERSION = 1
#: Images read to learn the channels: enough to catch a mixed folder early,
#: few enough that describing a large folder stays quick.
CHANNEL_PROBES = 32


def coco_classes(coco: dict, path: PathLike) -> List[dict]:
    """``[{id, name}]`` of a COCO file's categories, by id, checked.

    Raises:
        ValueError: No category, a duplicate id or name, or an unnamed one.
    """
    cats = coco.get('categories') or []
    if not cats:
        raise ValueError(f'{path}: no categories: a labelled COCO file must name its classes')
    seen_ids, seen_names, out = set(), set(), []
    for cat in sorted(cats, key=lambda c: c.get('id', 0)):
        cid, name = cat.get('id'), cat.get('name')
        if not isinstance(cid, int) or not isinstance(name, str) or not name:
            raise ValueError(f'{path}: category {cat!r} needs an int "id" and a "name"')
        if cid in seen_ids or name in seen_names:
            raise ValueError(f'{path}: category id {cid} / name {name!r} appears twice')
        seen_ids.add(cid)
        seen_names.add(name)
        out.append(dict(id=cid, name=name))
    return out


def image_channels(paths: Sequence[Path]) -> int:
    """Channels of the images (1 grey, 3 colour).

    Grey images stored as 3 identical channels count as 1; an alpha channel
    is dropped. Up to :data:`CHANNEL_PROBES` images spread over ``paths``
    are read.

    Raises:
        ValueError: No image, or grey and colour images mixed.
    """
    if not paths:
        raise ValueError('no image to read the channels from')
    picks = np.unique(np.linspace(0, len(paths) - 1, min(len(paths), CHANNEL_PROBES)).round())
    found: Dict[int, Path] = {}
    for path in (paths[int(i)] for i in picks):
        img = read_image(path, cv2.IMREAD_UNCHANGED)
        if img.ndim == 3 and img.shape[2] >= 3:
            colour = img[..., :3]
            grey = bool((colour == colour[..., :1]).all())
            found.setdefault(1 if grey else 3, path)
        else:
            found.setdefault(1, path)
    if len(found) > 1:
        raise ValueError(f'grey ({found[1]}) and colour ({found[3]}) images in one dataset: '
                         'convert them to one kind first')
    return next(iter(found))


def _box_stats(coco: dict, classes: List[dict]) -> Dict[str, dict]:
    """Per class: box count and relative width/height quantiles (ignored
    boxes, ``iscrowd=1``, are counted apart and not measured)."""
    sizes = {img['id']: (img['width'], img['height']) for img in coco['images']}
    rel: Dict[int, list] = {c['id']: [] for c in classes}
    ignored: Dict[int, int] = {c['id']: 0 for c in classes}
    for ann in coco.get('annotations', []):
        if is_ignored(ann):
            ignored[ann['category_id']] = ignored.get(ann['category_id'], 0) + 1
            continue
        w_img, h_img = sizes[ann['image_id']]
        _, _, w, h = ann['bbox']
        if w > 0 and h > 0 and ann['category_id'] in rel:
            rel[ann['category_id']].append((w / w_img, h / h_img))
    stats = {}
    for cat in classes:
        values = np.asarray(rel[cat['id']], np.float64).reshape(-1, 2)
        entry = dict(count=int(len(values)))
        if ignored[cat['id']]:
            entry['ignored'] = ignored[cat['id']]
        if len(values):
            for q, name in ((0.0, 'min'), (0.5, 'median'), (1.0, 'max')):
                entry[f'{name}_rel_wh'] = [round(float(v), 5)
                                           for v in np.quantile(values, q, axis=0)]
        stats[cat['name']] = entry
    return stats


def default_region(channels: int) -> str:
    """The insertion region a generated config uses for this kind of image.

    Grey images (radiographs, films) have a dark background that objects
    never lie on, so the Otsu foreground is the plausible region; colour
    photographs have none, so anywhere the box fits (``'any'``).
    """
    return 'otsu' if channels == 1 else 'any'


def _image_paths(coco: dict, ann_path: Path, img_root: Path, part: str) -> List[Path]:
    """Every image of a part, checked to exist (one line naming the first missing one)."""
    paths = [image_path(img_root, img['file_name'], ann_path, coco=coco) for img in coco['images']]
    missing = [p for p in paths if not p.is_file()]
    if missing:
        raise FileNotFoundError(f'{ann_path}: {len(missing)} of {len(paths)} image(s) not found, '
                                f'e.g. {missing[0]} (file_name is relative to the image prefix '
                                f'{img_root}: is dataset_files.{part}.data_prefix.img right?)')
    return paths


def describe_dataset(root: PathLike, files: Optional[dict] = None) -> dict:
    """Derive the folder's description from its COCO files and images.

    Works on any COCO folder with a labelled training file (Y, with boxes);
    the validation, test and clean files are optional. By default the files
    have the contract's names (``train.json``, ``val.json``, ``test.json``,
    ``clean_*.json``) and ``file_name`` entries are relative to ``root``;
    ``files`` (:func:`mmdgan.fileio.dataset_folder.dataset_files`) names
    others, each with its image prefix, the OpenMMLab way.

    Raises:
        FileNotFoundError: No training file, a file ``files`` names, or an
            image is missing.
        ValueError: Malformed COCO files, classes that differ between the
            splits, or mixed grey/colour images.
    """
    root = Path(root)
    files = dataset_files(files)
    contract = contract_files()
    train_path, train_images = part_paths(root, files, 'train')
    if not train_path.is_file():
        hint = ('' if files['train'] != contract['train'] else
                ' (a COCO dataset with other file names or an image prefix: name them with '
                'dataset_files, or tools/dataset_converters/describe.py --ann-file '
                'train=... --img-prefix train=...)')
        raise FileNotFoundError(f'dataset: labelled training file not found: {train_path}{hint}')
    train = load_coco(train_path, 'dataset: labelled training file', check_annotations=True)
    classes = coco_classes(train, train_path)
    splits, images, sizes = {}, [], []
    for part, entry in files.items():
        path, img_root = part_paths(root, files, part)
        if not path.is_file():
            if entry != contract[part]:
                raise FileNotFoundError(f'dataset_files.{part}.ann_file: not found: {path}')
            continue
        coco = train if part == 'train' else load_coco(
            path, 'dataset: COCO file', keys=('images', ), check_annotations=True)
        if not part.startswith('clean_') and coco is not train and coco.get('categories'):
            other = coco_classes(coco, path)
            if other != classes:
                raise ValueError(f'{path}: categories {other} differ from those of '
                                 f'{train_path} ({classes})')
        anns = coco.get('annotations', [])
        row = splits[entry['ann_file']] = dict(images=len(coco['images']),
                                               boxes=sum(not is_ignored(a) for a in anns))
        if len(anns) > row['boxes']:
            row['ignored'] = len(anns) - row['boxes']
        images += _image_paths(coco, path, img_root, part)
        sizes += [(img['width'], img['height']) for img in coco['images']]
    if not images:
        raise ValueError(f'{root}: its COCO files list no image')
    channels = image_channels(images)
    widths, heights = zip(*sizes)
    meta = dict(
        format=META_FORMAT, version=META_VERSION,
        classes=[c['name'] for c in classes], category_ids=[c['id'] for c in classes],
        channels=channels, region=default_region(channels),
        image_size=dict(median_wh=[int(np.median(widths)), int(np.median(heights))],
                        max_wh=[int(max(widths)), int(max(heights))]),
        train_boxes=_box_stats(train, classes), files=splits)
    if files != contract:
        # The layout is part of the description: configs and folds read it from here.
        meta['dataset_files'] = {p: e for p, e in files.items() if e != contract[p]}
    return meta


def write_dataset_meta(root: PathLike, files: Optional[dict] = None) -> dict:
    """Describe ``root`` and write the description to ``root/meta.json`` atomically."""
    meta = describe_dataset(root, files)
    write_json_atomic(meta, Path(root) / META_FILE)
    return meta


def read_meta_file(path: PathLike) -> Optional[dict]:
    """A ``meta.json`` checked for its format, or ``None`` if there is none."""
    path = Path(path)
    if not path.is_file():
        return None
    try:
        meta = json.loads(path.read_text())
    except (json.JSONDecodeError, UnicodeDecodeError) as err:
        raise ValueError(f'{path} is not valid json: {err}') from None
    if not isinstance(meta, dict) or meta.get('format') != META_FORMAT:
        raise ValueError(f'{path}: not an mmdgan dataset description (format '
                         f'{META_FORMAT!r} expected)')
    if meta.get('version') != META_VERSION:
        raise ValueError(f'{path}: version {meta.get("version")!r}, this mmdgan reads '
                         f'{META_VERSION}: rewrite it with tools/dataset_converters/describe.py')
    for key, kind in (('classes', list), ('channels', int)):
        if not isinstance(meta.get(key), kind):
            raise ValueError(f'{path}: field {key!r} missing or not a {kind.__name__}')
    return meta


def folder_files(root: PathLike, given: Optional[dict] = None,
                 where: str = 'dataset_files') -> Dict[str, dict]:
    """Where each part of ``root`` is: ``given`` (a config's ``dataset_files``),
    else the layout its ``meta.json`` records, else the contract's names."""
    if given is None:
        meta = read_meta_file(Path(root) / META_FILE)
        given, where = (meta or {}).get('dataset_files'), f'{Path(root) / META_FILE}: dataset_files'
    return dataset_files(given, where)


def dataset_meta(root: PathLike, files: Optional[dict] = None) -> dict:
    """The folder's description: its ``meta.json`` (if it describes the layout
    ``files`` names, by default the one it records), else derived from its files."""
    meta = read_meta_file(Path(root) / META_FILE)
    if meta is not None and (files is None or dataset_files(files) == dataset_files(
            meta.get('dataset_files'))):
        return meta
    return describe_dataset(root, files)
