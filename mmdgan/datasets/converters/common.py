"""Helpers shared by the dataset converters.

Every converter writes the dataset folder contract through
:mod:`mmdgan.fileio.dataset_folder` (``images/`` + six COCO files, published only
when complete) and accounts here for every box it had to clip or drop.
"""
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Dict, Hashable, Iterable, List, Optional, Sequence, Tuple

import cv2
import numpy as np

from mmdgan.fileio import ImageRecord, dataset_folder, read_image, write_image_atomic
from mmdgan.fileio.dataset_folder import SPLITS, dataset_output, write_dataset


@dataclass
class BoxStats:
    """Counts of what a converter did to the boxes it read."""

    kept: int = 0
    clipped: int = 0
    dropped_zero_area: int = 0
    #: Of ``kept``: boxes written as ignored (``iscrowd=1``: VOC difficult objects).
    ignored: int = 0
    skipped_rows: Dict[str, int] = field(default_factory=dict)

    def skip(self, reason: str) -> None:
        """Count one source row that carries no box, under ``reason``."""
        self.skipped_rows[reason] = self.skipped_rows.get(reason, 0) + 1


def category_names(names: Iterable[str], what: str) -> List[str]:
    """The categories a converter keeps, as a list; none is a one-line error naming ``what``."""
    names = list(names)
    if not names:
        raise ValueError(f'at least one {what} must be given')
    return names


def clip_box(box: Sequence[float], width: int, height: int,
             stats: BoxStats) -> Optional[Tuple[float, float, float, float]]:
    """Clip an xyxy box to the image and count what happened.

    Args:
        box: ``(x1, y1, x2, y2)`` in the continuous pixel frame.
        width: Image width.
        height: Image height.
        stats: Counters updated in place.

    Returns:
        The clipped box, or ``None`` if nothing of positive area is left.
    """
    x1, y1, x2, y2 = (float(v) for v in box)
    cx1, cy1 = min(max(x1, 0.0), width), min(max(y1, 0.0), height)
    cx2, cy2 = min(max(x2, 0.0), width), min(max(y2, 0.0), height)
    if cx2 - cx1 <= 0 or cy2 - cy1 <= 0:
        stats.dropped_zero_area += 1
        return None
    if (cx1, cy1, cx2, cy2) != (x1, y1, x2, y2):
        stats.clipped += 1
    stats.kept += 1
    return cx1, cy1, cx2, cy2


def resize_to(img: np.ndarray, size: Optional[int]) -> Tuple[np.ndarray, float, float]:
    """Resize to ``size x size`` (``None`` keeps it); returns the image and x/y scales."""
    if size is None:
        return img, 1.0, 1.0
    h, w = img.shape[:2]
    out = cv2.resize(img, (size, size), interpolation=cv2.INTER_AREA
                     if size < max(h, w) else cv2.INTER_LINEAR)
    return out, size / w, size / h


def split_groups(groups: Iterable[Hashable], seed: int,
                 ratios: Sequence[float] = (0.6, 0.2, 0.2),
                 strata: Optional[Dict[Hashable, Hashable]] = None) -> Dict[Hashable, str]:
    """Assign every group (patient) to train/val/test, deterministically.

    Groups are sorted, shuffled with ``seed`` and cut by ``ratios``; with
    ``strata`` (group -> stratum) each stratum is cut separately so that
    every split gets its share of, e.g., patients with lesions.

    Args:
        groups: Group keys (duplicates are fine).
        seed: Seed of the shuffle.
        ratios: Fractions of train, val, test; must sum to 1.
        strata: Optional stratum of each group.

    Returns:
        ``{group: 'train' | 'val' | 'test'}``.
    """
    if len(ratios) != 3 or abs(sum(ratios) - 1) > 1e-6 or min(ratios) < 0:
        raise ValueError(f'split ratios must be three non-negative numbers summing to 1, '
                         f'got {tuple(ratios)}')
    unique = sorted(set(groups), key=str)
    by_stratum: Dict[Hashable, list] = {}
    for g in unique:
        by_stratum.setdefault(strata.get(g) if strata else None, []).append(g)
    rng = np.random.default_rng(seed)
    assignment = {}
    for key in sorted(by_stratum, key=str):
        members = by_stratum[key]
        order = rng.permutation(len(members))
        n_train = int(round(ratios[0] * len(members)))
        n_val = int(round(ratios[1] * len(members)))
        for rank, i in enumerate(order):
            split = 'train' if rank < n_train else 'val' if rank < n_train + n_val else 'test'
            assignment[members[i]] = split
    return assignment


def format_counts(counts: dict, stats: Optional[BoxStats] = None) -> str:
    """Human-readable summary of :func:`write_dataset` counts and box stats."""
    lines = [dataset_folder.format_counts(counts)]
    if stats is not None:
        lines.append(f'boxes kept {stats.kept}, clipped {stats.clipped}, '
                     f'dropped (zero area) {stats.dropped_zero_area}')
        if stats.ignored:
            lines.append(f'of the kept boxes, ignored in training and evaluation '
                         f'(iscrowd=1: difficult): {stats.ignored}')
        for reason, n in sorted(stats.skipped_rows.items()):
            lines.append(f'skipped rows ({reason}): {n}')
    return '\n'.join(lines)


@dataclass
class SourceImage:
    """One source image a converter keeps, before splitting and export.

    Attributes:
        src: Path of the source image.
        out_name: Output path relative to the dataset folder (``images/...``).
        group: Split unit (patient); images of one group share a split.
        labelled: ``True`` for Y (boxes), ``False`` for X (clean).
        boxes: ``(x1, y1, x2, y2, category_id)`` in the frame given by
            ``ref_size`` (or in the image's own pixels if ``ref_size`` is
            ``None``).
        ref_size: Side of the square frame the boxes are given in (1024 for
            mini-MIAS and NIH); they are scaled to the image on disk.
        ignored: Boxes like ``boxes`` that training and evaluation ignore
            (written with ``iscrowd=1``, e.g. VOC's difficult objects).
    """

    src: Path
    out_name: str
    group: Hashable
    labelled: bool
    boxes: List[Tuple[float, float, float, float, int]] = field(default_factory=list)
    ref_size: Optional[int] = None
    ignored: List[Tuple[float, float, float, float, int]] = field(default_factory=list)


def check_unique_outputs(items: Sequence[SourceImage]) -> None:
    """Refuse two source images that would be written to one output file.

    ``a.jpg`` and ``a.png`` (or ``x/a.png`` and ``y/a.png``) both become
    ``images/a.png``: the last write would win, and one image's boxes would
    sit on the other, possibly in another split.

    Raises:
        ValueError: Naming both sources and the shared output.
    """
    first: Dict[str, Path] = {}
    for item in items:
        other = first.setdefault(item.out_name, item.src)
        if other != item.src:
            raise ValueError(f'{other} and {item.src} would both be written to '
                             f'{item.out_name}; rename one of them')


def _load_one(item: SourceImage, size: Optional[int], read_flags: int,
              stats: BoxStats) -> Tuple[np.ndarray, ImageRecord]:
    """Read (and resize) one image and bring its boxes into its output frame."""
    img = read_image(item.src, read_flags)
    h0, w0 = img.shape[:2]
    ref_x = w0 / item.ref_size if item.ref_size else 1.0
    ref_y = h0 / item.ref_size if item.ref_size else 1.0
    img, sx, sy = resize_to(img, size)
    h, w = img.shape[:2]
    rec = ImageRecord(item.out_name, w, h)
    for source, target in ((item.boxes, rec.boxes), (item.ignored, rec.ignored)):
        for x1, y1, x2, y2, cat in source:
            clipped = clip_box((x1 * ref_x * sx, y1 * ref_y * sy, x2 * ref_x * sx,
                                y2 * ref_y * sy), w, h, stats)
            if clipped is not None:
                target.append((*clipped, cat))
    stats.ignored += len(rec.ignored)
    return img, rec


def export_dataset(out_dir: os.PathLike, items: Sequence[SourceImage],
                   categories: Sequence[str], stats: BoxStats, seed: int = 0,
                   size: Optional[int] = None, ratios: Sequence[float] = (0.6, 0.2, 0.2),
                   read_flags: int = cv2.IMREAD_UNCHANGED, overwrite: bool = False) -> dict:
    """Split by group, write the images (optionally resized to ``size``) and six COCO files.

    Groups are stratified by whether they hold any labelled image, so each
    split gets its share of Y. A labelled image whose boxes are all dropped
    is left out and counted under ``stats.skipped_rows``; one with only
    ignored boxes stays in Y (its ignore regions count in evaluation, as in
    VOC's own protocol), but mmdgan never uses it as an object image. The
    folder appears at ``out_dir`` only when complete (see :func:`dataset_output`).

    Returns:
        ``{json file name: (images, boxes)}`` as :func:`write_dataset`.
    """
    output = dataset_output(out_dir, overwrite)
    if not items:
        raise ValueError('no images to convert: neither clean nor labelled images were found')
    check_unique_outputs(items)
    has_y = {}
    for it in items:
        has_y[it.group] = has_y.get(it.group, False) or it.labelled
    assignment = split_groups(has_y, seed, ratios, strata=has_y)
    labelled: Dict[str, List[ImageRecord]] = {s: [] for s in SPLITS}
    clean: Dict[str, List[ImageRecord]] = {s: [] for s in SPLITS}
    with output as tmp:
        for item in sorted(items, key=lambda it: it.out_name):
            img, rec = _load_one(item, size, read_flags, stats)
            if item.labelled and not rec.boxes and not rec.ignored:
                stats.skip('labelled image without a valid box')
                continue
            write_image_atomic(img, tmp / item.out_name)
            (labelled if item.labelled else clean)[assignment[item.group]].append(rec)
        return write_dataset(tmp, labelled, clean, categories)
