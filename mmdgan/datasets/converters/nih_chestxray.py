"""NIH ChestX-ray14 -> the unpaired COCO folder contract.

``BBox_List_2017.csv`` gives boxes (``Image Index, Finding Label, x, y, w, h``
in pixels of the 1024x1024 images); ``Data_Entry_2017.csv`` gives per-image
labels (``Finding Labels``, ``|``-separated) and the ``Patient ID``. Images
with boxes of the selected findings become Y, "No Finding" images X, all
others neither. The split is by patient.
"""
import csv
import os
from pathlib import Path
from typing import Dict, Iterator, List, Optional, Sequence, Tuple

import cv2
import numpy as np

from .common import BoxStats, SourceImage, category_names, export_dataset, format_counts

ORIGINAL_SIZE = 1024
NO_FINDING = 'No Finding'


def read_csv_rows(path: Path, required: Sequence[str],
                  positional: int = 0) -> Iterator[Tuple[int, Dict[str, str], List[str]]]:
    """Yield ``(line, {column: value}, raw row)`` for the data rows of a CSV.

    Args:
        path: CSV file.
        required: Column names that must be in the header.
        positional: Minimum number of cells every data row must have.

    Raises:
        FileNotFoundError: If the file is missing.
        ValueError: On missing columns or short rows (naming file and line).
    """
    if not path.is_file():
        raise FileNotFoundError(f'CSV file not found: {path}')
    with open(path, newline='', encoding='utf-8') as f:
        reader = csv.reader(f)
        header = [h.strip() for h in next(reader, [])]
        missing = [c for c in required if c not in header]
        if missing:
            raise ValueError(f'{path}:1: missing column(s) {missing}; header is {header}')
        index = {c: header.index(c) for c in required}
        need = max(positional, max(index.values()) + 1)
        for row in reader:
            if not any(cell.strip() for cell in row):
                continue
            if len(row) < need:
                raise ValueError(f'{path}:{reader.line_num}: expected at least {need} '
                                 f'cells, got {len(row)}: {row}')
            yield reader.line_num, {c: row[i].strip() for c, i in index.items()}, row


def _find_images(src: Path) -> Dict[str, Path]:
    """Index images by file name: the release spreads them over ``images*/`` folders."""
    return {p.name: p for p in sorted(src.rglob('*.png'))}


def convert_nih_chestxray(src: os.PathLike, out_dir: os.PathLike,
                          findings: Sequence[str] = ('Nodule', 'Mass'), seed: int = 0,
                          size: Optional[int] = None, max_clean: Optional[int] = None,
                          ratios=(0.6, 0.2, 0.2), overwrite: bool = False) -> Tuple[dict, BoxStats]:
    """Convert an NIH ChestX-ray14 folder.

    Args:
        src: Folder with ``BBox_List_2017.csv``, ``Data_Entry_2017.csv`` and
            the PNG images anywhere below it.
        out_dir: Output dataset folder.
        findings: Finding labels kept as box categories (one class each).
        seed: Seed of the patient split (and of the clean subset).
        size: Resize images and boxes to ``size x size``; ``None`` keeps them.
        max_clean: Keep at most this many "No Finding" images (random,
            seeded, among those on disk); ``None`` keeps all.
        ratios: Train/val/test fractions of patients.
        overwrite: Replace an existing ``out_dir`` if it is a dataset folder.

    Returns:
        Counts per json file and the box statistics.
    """
    src, findings = Path(src), category_names(findings, 'finding')
    entry_csv, bbox_csv = src / 'Data_Entry_2017.csv', src / 'BBox_List_2017.csv'
    entries = {}
    for line, rec, _ in read_csv_rows(entry_csv, ['Image Index', 'Finding Labels',
                                                  'Patient ID']):
        if not rec['Image Index'] or not rec['Patient ID']:
            raise ValueError(f'{entry_csv}:{line}: empty Image Index or Patient ID')
        entries[rec['Image Index']] = (line, rec['Finding Labels'].split('|'),
                                       rec['Patient ID'])
    stats = BoxStats()
    boxes: Dict[str, list] = {}
    # The header's box columns are named inconsistently ("Bbox [x", "y", "w", "h]"):
    # read x, y, w, h by position after the two named columns.
    for line, rec, row in read_csv_rows(bbox_csv, ['Image Index', 'Finding Label'],
                                        positional=6):
        name, label = rec['Image Index'], rec['Finding Label']
        if name not in entries:
            raise ValueError(f'{bbox_csv}:{line}: image {name!r} is not in {entry_csv.name}')
        if label not in findings:
            stats.skip(f'box of an unselected finding ({label})')
            continue
        try:
            x, y, w, h = (float(v) for v in row[2:6])
        except ValueError:
            raise ValueError(f'{bbox_csv}:{line}: x, y, w, h are not numbers: '
                             f'{row[2:6]}') from None
        boxes.setdefault(name, []).append((x, y, x + w, y + h, findings.index(label) + 1))
    # Users often download a few of the twelve image archives: convert the
    # listed images that are on disk and count the others, rather than failing.
    index = _find_images(src)
    clean = sorted(n for n, (_, labels, _) in entries.items() if labels == [NO_FINDING])
    for name in clean:
        if name not in index:
            stats.skip(f'"{NO_FINDING}" image listed in {entry_csv.name}, not on disk')
    clean = [n for n in clean if n in index]
    if max_clean is not None and len(clean) > max_clean:
        keep = np.random.default_rng(seed).choice(len(clean), max_clean, replace=False)
        clean = [clean[i] for i in sorted(keep)]
    items = []
    for name in sorted(boxes):
        if name not in index:
            stats.skip(f'image with boxes listed in {bbox_csv.name}, not on disk')
            continue
        items.append(SourceImage(index[name], f'images/{name}', entries[name][2], True,
                                 boxes[name], ref_size=ORIGINAL_SIZE))
    for name in clean:
        items.append(SourceImage(index[name], f'images/{name}', entries[name][2], False,
                                 ref_size=ORIGINAL_SIZE))
    if not items:
        raise FileNotFoundError(f'none of the images listed in {entry_csv} and {bbox_csv} '
                                f'is below {src}')
    # A few release PNGs are RGBA: the dataset is grayscale by contract.
    counts = export_dataset(out_dir, items, findings, stats, seed=seed, size=size,
                            ratios=ratios, overwrite=overwrite, read_flags=cv2.IMREAD_GRAYSCALE)
    return counts, stats


__all__ = ['convert_nih_chestxray', 'read_csv_rows', 'format_counts']
