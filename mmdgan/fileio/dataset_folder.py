"""The dataset folder contract: ``images/`` + six COCO files (+ ``meta.json``).

Y (labelled, with boxes) is ``{train,val,test}.json`` and X (clean, no
annotation) ``clean_{train,val,test}.json``. The converters, the demo
generators and the cross-validation folds all read or write folders of this
shape through this module, and publish one only when it is complete
(:class:`OutputDir`).
"""
import os
from pathlib import Path
from typing import Dict, List, Sequence

from .atomic import write_json_atomic
from .coco import ImageRecord, is_ignored, make_coco
from .output_dir import OutputDir, holds_only

#: Y (labelled, with boxes) and X (clean, no annotation) file of each split.
SPLITS = ('train', 'val', 'test')
LABELLED_FILES = {s: f'{s}.json' for s in SPLITS}
CLEAN_FILES = {s: f'clean_{s}.json' for s in SPLITS}


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
