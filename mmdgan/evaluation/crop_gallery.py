"""Side-by-side crops of real objects and of what each inserter drew, for the eye.

The numbers of :mod:`.insertion_quality` say how far inserted crops are from
real ones; this figure shows what they look like: a row of real object crops,
then per synthetic set a row of pairs (clean source | inserted) at the same
boxes, every crop at the same scale and context. Where the crops are of
several classes, each is labelled with its class (``return_labels`` and
:func:`save_crop_gallery`'s ``labels``).
"""
import os
from pathlib import Path
from typing import Dict, List, Optional, Sequence, Tuple

import numpy as np
import torch

from mmdgan.models.layers.roi_crop import crop_and_resize

from .insertion_quality import coco_crops, synthetic_sources


def gallery_gap(size: int) -> int:
    """Pixels between two crops of a row (twice that between rows and pairs)."""
    return max(2, size // 16)


def _crops(images: Sequence[torch.Tensor], boxes: Sequence[torch.Tensor], num: int,
           size: int, context: float, classes: Sequence[Sequence[str]] = ()
           ) -> Tuple[List[np.ndarray], List[str]]:
    """The first ``num`` boxes' crops as uint8 ``(size, size)`` grey or
    ``(size, size, 3)`` BGR colour images, as their image is, and their
    classes (from ``classes``, per image its boxes' names)."""
    out: List[np.ndarray] = []
    labels: List[str] = []
    for i, (img, img_boxes) in enumerate(zip(images, boxes)):
        if len(out) >= num:
            break
        if len(img_boxes) == 0:
            continue
        take = num - len(out)
        crops = crop_and_resize(img.float()[None], [img_boxes.float()[:take]], size,
                                context=context)
        crops = crops.clamp(0, 255).round().byte().permute(0, 2, 3, 1).numpy()
        out += [c[..., 0] if c.shape[-1] == 1 else c for c in crops]
        labels += list(classes[i][:take]) if i < len(classes) else [''] * len(crops)
    return out, labels


def crop_gallery(real_ann_file: os.PathLike, syn_ann_files: Dict[str, os.PathLike],
                 num: int = 8, size: int = 64, context: float = 1.0,
                 clean_root: Optional[os.PathLike] = None, return_labels: bool = False
                 ) -> tuple:
    """Build the gallery.

    Args:
        real_ann_file: COCO file of real objects (first row).
        syn_ann_files: Row name -> a synthetic set's ``train.json``
            (``tools/synthesize.py`` output, with its clean sources recorded).
        num: Crops per row (real) or pairs per row (synthetic sets).
        size: Side of each crop, pixels.
        context: Margin on each side as a fraction of the box (1: the box
            fills the middle third, enough to see its edges).
        clean_root: Folder relative clean sources are under.
        return_labels: Also return each cell's class name, per row.

    Returns:
        ``(H, W)`` uint8 image (``(H, W, 3)`` BGR when any crop is in colour)
        and the row names, top to bottom; with ``return_labels`` also the
        class of every cell, row by row, left to right.
    """
    if num < 1 or size < 8:
        raise ValueError(f'num must be >= 1 and size >= 8, got {num} and {size}')
    if not syn_ann_files:
        raise ValueError('crop_gallery needs at least one synthetic set')
    frame = None
    rows: List[List[np.ndarray]] = []
    labels: List[List[str]] = []
    names: List[str] = []
    for name, ann in syn_ann_files.items():
        # Every image holds at least one box: ``num`` images give ``num`` crops.
        images, boxes, classes = coco_crops(ann, max_images=num, return_categories=True)
        frame = frame or max(images[0].shape[1:])
        clean, clean_boxes = coco_crops(ann, frame, synthetic_sources(ann, clean_root),
                                        max_images=num)
        inserted, inserted_classes = _crops(images, boxes, num, size, context, classes)
        before, _ = _crops(clean, clean_boxes, num, size, context)
        pairs, pair_labels = [], []
        for a, b, cls in zip(before, inserted, inserted_classes):
            pairs += [a, b]
            pair_labels += [cls, cls]
        rows.append(pairs)
        labels.append(pair_labels)
        names.append(f'{name}: clean | inserted')
    # Real crops at the synthetic sets' resolution, so they carry the same detail.
    images, boxes, classes = coco_crops(real_ann_file, frame, max_images=2 * num,
                                        return_categories=True)
    real, real_classes = _crops(images, boxes, 2 * num, size, context, classes)
    rows.insert(0, real)
    labels.insert(0, real_classes)
    names.insert(0, 'real objects')
    gap = gallery_gap(size)
    # A wider gap after every second column keeps each clean | inserted pair together.
    width = 2 * num * size + (2 * num - 1) * gap + (num - 1) * gap
    colour = any(crop.ndim == 3 for row in rows for crop in row)
    canvas = np.full((len(rows) * size + (len(rows) - 1) * 2 * gap, width)
                     + ((3, ) if colour else ()), 255, np.uint8)
    for r, row in enumerate(rows):
        top = r * (size + 2 * gap)
        for c, crop in enumerate(row):
            left = c * (size + gap) + (c // 2) * gap
            if colour and crop.ndim == 2:
                crop = crop[..., None]
            canvas[top:top + size, left:left + size] = crop
    return (canvas, names, labels) if return_labels else (canvas, names)


def cell_origin(row: int, col: int, size: int) -> Tuple[int, int]:
    """Top-left pixel ``(x, y)`` of a cell of a :func:`crop_gallery` canvas."""
    gap = gallery_gap(size)
    return col * (size + gap) + (col // 2) * gap, row * (size + 2 * gap)


def row_centres(names: Sequence[str], size: int) -> List[float]:
    """Vertical pixel centre of each row of a :func:`crop_gallery` canvas."""
    gap = gallery_gap(size)
    return [r * (size + 2 * gap) + size / 2 for r in range(len(names))]


def save_crop_gallery(canvas: np.ndarray, names: Sequence[str], size: int, out: os.PathLike,
                      title: str = '', labels: Optional[Sequence[Sequence[str]]] = None
                      ) -> None:
    """Write the gallery with its row labels as a PNG (temp file, then rename).

    ``labels`` (from ``crop_gallery(return_labels=True)``): each crop's class,
    written in its top-left corner when the gallery shows several classes.
    """
    import matplotlib
    matplotlib.use('Agg')
    import matplotlib.pyplot as plt

    out = Path(out)
    label_in = 0.07 * max(len(n) for n in names) + 0.2  # ~8-pt characters
    width, height = canvas.shape[1] / 100 + label_in, canvas.shape[0] / 100 + 0.5
    fig, ax = plt.subplots(figsize=(width, height), dpi=100)
    if canvas.ndim == 3:
        ax.imshow(canvas[..., ::-1], interpolation='nearest')  # BGR -> RGB
    else:
        ax.imshow(canvas, cmap='gray', vmin=0, vmax=255, interpolation='nearest')
    ax.set_yticks(row_centres(names, size), list(names), fontsize=8)
    if labels is not None and len({c for row in labels for c in row if c}) > 1:
        for r, row in enumerate(labels):
            for c, cls in enumerate(row):
                x, y = cell_origin(r, c, size)
                ax.text(x + 1, y + 1, cls, fontsize=6, va='top', ha='left',
                        bbox=dict(facecolor='white', alpha=0.7, pad=0.5, linewidth=0))
    ax.set_xticks([])
    for spine in ax.spines.values():
        spine.set_visible(False)
    if title:
        ax.set_title(title, fontsize=9)
    fig.subplots_adjust(left=label_in / width, right=0.995, bottom=0.02,
                        top=1 - 0.4 / height)
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(f'.{out.stem}.tmp.png')
    fig.savefig(tmp)
    plt.close(fig)
    tmp.replace(out)
