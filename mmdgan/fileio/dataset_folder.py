"""The dataset folder contract: ``images/`` + six COCO files (+ ``meta.json``).

Y (labelled, with boxes) is ``{train,val,test}.json`` and X (clean, no
annotation) ``clean_{train,val,test}.json``. The converters, the demo
generators and the cross-validation folds all read or write folders of this
shape through this module, and publish one only when it is complete
(:class:`OutputDir`).

A COCO dataset written by another tool may name its files otherwise and keep
its images under a prefix: :func:`dataset_files` describes each part the
OpenMMLab way, ``ann_file`` + ``data_prefix=dict(img=...)``, both relative to
the folder, with ``file_name`` relative to the image prefix.
"""
import os
from pathlib import Path
from typing import Dict, List, Mapping, Optional, Sequence, Tuple

from .atomic import write_json_atomic
from .coco import ImageRecord, is_ignored, make_coco
from .output_dir import OutputDir, holds_only

#: Y (labelled, with boxes) and X (clean, no annotation) file of each split.
SPLITS = ('train', 'val', 'test')
LABELLED_FILES = {s: f'{s}.json' for s in SPLITS}
CLEAN_FILES = {s: f'clean_{s}.json' for s in SPLITS}
#: Every part of a dataset folder and its file name in the contract.
PARTS = {**LABELLED_FILES, **{f'clean_{s}': name for s, name in CLEAN_FILES.items()}}


def contract_files() -> Dict[str, dict]:
    """Every part's ``ann_file`` and ``data_prefix`` in the folder contract."""
    return {part: dict(ann_file=name, data_prefix=dict(img='')) for part, name in PARTS.items()}


def _relative(value, what: str) -> str:
    """``value`` checked to be a path inside the dataset folder (one-line error naming ``what``)."""
    if not isinstance(value, str):
        raise ValueError(f'{what} must be a path relative to the dataset folder, got {value!r}')
    if os.path.isabs(value) or os.path.normpath(value or '.').split(os.sep)[0] == os.pardir:
        raise ValueError(f'{what} {value!r} leaves the dataset folder: give it relative to '
                         'data_root')
    return value


def dataset_files(given: Optional[Mapping] = None,
                  where: str = 'dataset_files') -> Dict[str, dict]:
    """Each part's ``ann_file`` and ``data_prefix=dict(img=...)`` (relative to the folder).

    Parts not in ``given`` keep the contract's names (:data:`PARTS`, images
    under the folder itself).

    Args:
        given: Part -> ``dict(ann_file=..., data_prefix=dict(img=...))``, either
            key optional, e.g. ``dict(train=dict(ann_file='annotations/train.json',
            data_prefix=dict(img='train2017/')))``.
        where: How ``given`` is called in errors (the config key).

    Raises:
        ValueError: An unknown part or key, or a path that leaves the folder
            (one line naming ``where.part.key``).
    """
    files = contract_files()
    if given is None:
        return files
    if not isinstance(given, Mapping):
        raise ValueError(f'{where} must be a dict of parts ({", ".join(PARTS)}), '
                         f'got {type(given).__name__}')
    for part, entry in given.items():
        if part not in PARTS:
            raise ValueError(f'{where}: unknown part {part!r} (parts: {", ".join(PARTS)})')
        if not isinstance(entry, Mapping) or set(entry) - {'ann_file', 'data_prefix'}:
            raise ValueError(f'{where}.{part} must be dict(ann_file=..., data_prefix='
                             f'dict(img=...)), got {entry!r}')
        ann = _relative(entry.get('ann_file', files[part]['ann_file']), f'{where}.{part}.ann_file')
        if not ann:
            raise ValueError(f'{where}.{part}.ann_file is empty: name its COCO file')
        prefix = entry.get('data_prefix', dict(img=''))
        if not isinstance(prefix, Mapping) or set(prefix) != {'img'}:
            raise ValueError(f'{where}.{part}.data_prefix must be dict(img=FOLDER), '
                             f'got {prefix!r}')
        img = _relative(prefix['img'], f'{where}.{part}.data_prefix.img')
        files[part] = dict(ann_file=ann, data_prefix=dict(img=img))
    return files


def part_paths(root: os.PathLike, files: Mapping[str, dict], part: str) -> Tuple[Path, Path]:
    """The COCO file of ``part`` and the folder its ``file_name`` entries are relative to."""
    entry = files[part]
    return Path(root) / entry['ann_file'], Path(root) / entry['data_prefix']['img']


def part_of(files: Mapping[str, dict], ann_file: str) -> Optional[str]:
    """The part a COCO file name stands for in a folder of layout ``files``: the
    layout's own ``ann_file`` of a part, else a contract name (``clean_val.json``);
    ``None`` for any other file."""
    for names in ({p: e['ann_file'] for p, e in files.items()}, PARTS):
        part = next((p for p, name in names.items() if name == ann_file), None)
        if part is not None:
            return part
    return None


def is_dataset_folder(path: Path) -> bool:
    """Whether ``path`` holds only a dataset of the folder contract (``images/`` + six jsons,
    its ``meta.json`` and the clean crops mmdgan may add)."""
    from .clean_crops import CROPS_FILE
    from .dataset_meta import META_FILE
    names = [*LABELLED_FILES.values(), *CLEAN_FILES.values()]
    return holds_only(path, ['images', META_FILE, CROPS_FILE, *names], names)


def dataset_output(out_dir: os.PathLike, overwrite: bool = False) -> OutputDir:
    """The :class:`OutputDir` a converter or the demo generator writes its dataset through.

    An existing ``out_dir`` is refused unless ``overwrite``, and even then
    replaced only if it is a dataset folder itself (an empty folder is fine).
    """
    return OutputDir(out_dir, overwrite, is_dataset_folder,
                     what='dataset folder (images/ + six COCO files)')


def write_dataset(out_dir: os.PathLike, labelled: Dict[str, List[ImageRecord]],
                  clean: Dict[str, List[ImageRecord]], categories: Sequence[str]) -> dict:
    """Write the six COCO files of the folder contract and its ``meta.json`` atomically.

    Args:
        out_dir: Dataset folder (images already written under ``images/``).
        labelled: Y records per split.
        clean: X records per split (their ``boxes`` must be empty).
        categories: Category names.

    Returns:
        ``{file name: (number of images, number of boxes)}``; ignored boxes
        (``iscrowd=1``) are not counted as boxes.
    """
    counts = {}
    for split in SPLITS:
        for name, recs in ((LABELLED_FILES[split], labelled.get(split, [])),
                           (CLEAN_FILES[split], clean.get(split, []))):
            if name.startswith('clean_') and any(r.boxes for r in recs):
                raise ValueError(f'{name}: clean images must not carry boxes')
            coco = make_coco(recs, categories)
            write_json_atomic(coco, Path(out_dir) / name)
            counts[name] = (len(coco['images']),
                            sum(not is_ignored(a) for a in coco['annotations']))
    # The folder describes itself (classes, channels, box sizes): configs read it.
    from .dataset_meta import write_dataset_meta
    write_dataset_meta(out_dir)
    return counts


def format_counts(counts: dict) -> str:
    """Human-readable summary of :func:`write_dataset` counts, one line per file."""
    return '\n'.join(f'{name:18s} {n_img:5d} images {n_box:5d} boxes'
                     for name, (n_img, n_box) in counts.items())
