"""Insertion boxes for clean images, drawn from the box-size prior of Y."""
import os
from pathlib import Path
from typing import Optional, Sequence, Tuple, Union

import cv2
import numpy as np

from mmdgan.fileio import is_ignored, load_coco, read_image
from mmdgan.registry import TASK_UTILS

from .regions import breast_region, largest_component, otsu_region

#: ``'any'`` is ``'full'`` under the name photographs' configs use: anywhere the box fits.
REGIONS = ('otsu', 'otsu_largest', 'breast', 'full', 'any', 'mask')


def load_relative_box_sizes(ann_file: os.PathLike) -> np.ndarray:
    """Box ``(w / image width, h / image height)`` of every annotation of a COCO file.

    Raises:
        FileNotFoundError: If the file is missing.
        ValueError: If it has no usable box.
    """
    return load_box_prior(ann_file)[0]


def load_box_prior(ann_file: os.PathLike,
                   classes: Optional[Sequence[str]] = None) -> Tuple[np.ndarray, np.ndarray]:
    """Relative sizes and COCO category ids of the boxes of a COCO file.

    Ignored boxes (``iscrowd=1``: VOC's difficult objects) are no objects to
    imitate and are left out.

    Args:
        ann_file: A labelled COCO file.
        classes: Keep only the boxes of these category names (``None``: all).

    Returns:
        ``(N, 2)`` float64 ``(w / image width, h / image height)`` and the
        ``(N,)`` int64 category ids, in annotation order.

    Raises:
        FileNotFoundError: If the file is missing.
        ValueError: If it has no usable box, or ``classes`` names a category
            it does not have.
    """
    ann_file = Path(ann_file)
    # Sizes come from the xywh boxes, not coco_records' x2 - x1, which can differ from w in the
    # last bit and would change every box sampled since.
    coco = load_coco(ann_file, 'box prior: annotation file', check_annotations=True)
    sizes = {img['id']: (img['width'], img['height']) for img in coco['images']}
    keep = None
    if classes is not None:
        names = {c.get('name'): c.get('id') for c in coco.get('categories', [])}
        unknown = [c for c in classes if c not in names]
        if unknown:
            raise ValueError(f'box prior: {ann_file} has no category {unknown} '
                             f'(it has {sorted(names)})')
        keep = {names[c] for c in classes}
    rel, cats = [], []
    for ann in coco.get('annotations', []):
        if (keep is not None and ann.get('category_id') not in keep) or is_ignored(ann):
            continue
        w_img, h_img = sizes[ann['image_id']]
        _, _, w, h = ann['bbox']
        if w > 0 and h > 0:
            rel.append((min(w / w_img, 1.0), min(h / h_img, 1.0)))
            cats.append(int(ann.get('category_id', 0)))
    if not rel:
        raise ValueError(f'box prior: {ann_file} has no box of positive size to learn from'
                         + (f' among the classes {list(classes)}' if classes else ''))
    return np.asarray(rel, np.float64), np.asarray(cats, np.int64)


@TASK_UTILS.register_module()
class BoxPriorSampler:
    """Sample non-overlapping insertion boxes inside a plausibility region.

    Box width and height (relative to the image) are drawn jointly from the
    empirical distribution of Y's boxes; each box is placed uniformly among
    the positions where it lies inside the region, the image and clear of
    the boxes already placed.

    Several classes: the drawn box is one of Y's boxes, so it carries that
    box's category (:meth:`sample` with ``return_categories``). Drawing a box
    uniformly draws its class with Y's class frequencies and its size from
    that class's boxes, without a random number more than the one-class
    sampler uses (one-class results are unchanged).

    Args:
        ann_file: Y COCO file (the training split) the box sizes come from.
        num_boxes: Boxes per image: an int or an inclusive ``(min, max)``.
        region: ``'otsu'`` (foreground of the clean image), ``'otsu_largest'``
            (its largest connected component: the body without film labels),
            ``'breast'`` (mammograms: the breast without labels and pectoral
            muscle, :func:`mmdgan.datasets.regions.breast_region`),
            ``'full'`` / ``'any'`` (anywhere the box fits: photographs) or
            ``'mask'`` (a mask given to
            :meth:`sample`, or read by :meth:`load_mask` from ``mask_dir``).
        mask_dir: Folder of per-image masks named like the images.
        max_tries: Box sizes tried per box (each with ``positions_per_try``
            random positions) before giving up with an error.
        min_inside: Fraction of a box's pixels that must lie in the region.
        positions_per_try: Random positions tested per drawn box size.
        data_root: Folder a relative ``ann_file`` / ``mask_dir`` is relative to.
        classes: Category names whose boxes make the prior (``None``: all).
    """

    def __init__(self, ann_file: str, num_boxes: Union[int, Sequence[int]] = 1,
                 region: str = 'otsu', mask_dir: Optional[str] = None, max_tries: int = 100,
                 min_inside: float = 1.0, positions_per_try: int = 64,
                 data_root: Optional[str] = None,
                 classes: Optional[Sequence[str]] = None) -> None:
        if region not in REGIONS:
            raise ValueError(f'BoxPriorSampler: region must be one of {REGIONS}, got {region!r}')
        if isinstance(num_boxes, int):
            num_boxes = (num_boxes, num_boxes)
        lo, hi = (int(v) for v in num_boxes)
        if not 1 <= lo <= hi:
            raise ValueError(f'BoxPriorSampler: num_boxes must be >= 1 (or 1 <= min <= max), '
                             f'got {tuple(num_boxes)}')
        if max_tries < 1 or positions_per_try < 1 or not 0 < min_inside <= 1:
            raise ValueError('BoxPriorSampler: max_tries and positions_per_try must be >= 1 '
                             'and 0 < min_inside <= 1')

        def resolve(path):
            return Path(data_root) / path if data_root and not os.path.isabs(path) else Path(path)

        self.ann_file = resolve(ann_file)
        self.mask_dir = resolve(mask_dir) if mask_dir else None
        if region == 'mask' and self.mask_dir is not None and not self.mask_dir.is_dir():
            raise FileNotFoundError(f'BoxPriorSampler: mask_dir not found: {self.mask_dir}')
        self.num_boxes = (lo, hi)
        self.region = region
        self.max_tries = max_tries
        self.min_inside = min_inside
        self.positions_per_try = positions_per_try
        self.classes = None if classes is None else list(classes)
        self.rel_sizes, self.box_categories = load_box_prior(self.ann_file, self.classes)

    def load_mask(self, img_path: str) -> np.ndarray:
        """Read the region mask of an image from ``mask_dir`` (same file stem, any of .png)."""
        if self.mask_dir is None:
            raise ValueError("BoxPriorSampler: region='mask' needs mask_dir or a mask argument")
        path = self.mask_dir / f'{Path(img_path).stem}.png'
        if not path.is_file():
            raise FileNotFoundError(f'BoxPriorSampler: mask of {img_path} not found: {path}')
        return read_image(path, cv2.IMREAD_GRAYSCALE) > 0

    def region_of(self, img: np.ndarray, mask: Optional[np.ndarray] = None) -> np.ndarray:
        """The boolean ``(H, W)`` region boxes must lie in."""
        h, w = img.shape[:2]
        if mask is not None:
            region = np.asarray(mask).astype(bool)
            if region.shape != (h, w):
                raise ValueError(f'BoxPriorSampler: mask shape {region.shape} does not match '
                                 f'image shape {(h, w)}')
            return region
        if self.region == 'mask':
            raise ValueError("BoxPriorSampler: region='mask' but no mask was given")
        if self.region in ('full', 'any'):
            return np.ones((h, w), bool)
        if self.region == 'otsu_largest':
            return largest_component(otsu_region(img))
        if self.region == 'breast':
            return breast_region(img)
        return otsu_region(img)

    def _draw_size(self, rng: np.random.Generator, w: int, h: int) -> Tuple[float, float, int]:
        index = int(rng.integers(len(self.rel_sizes)))
        rw, rh = self.rel_sizes[index]
        return rw * w, rh * h, index

    def sample(self, img: np.ndarray, rng: np.random.Generator,
               mask: Optional[np.ndarray] = None, return_categories: bool = False
               ) -> Union[np.ndarray, Tuple[np.ndarray, np.ndarray]]:
        """Sample the insertion boxes of one image.

        Args:
            img: ``(H, W)`` or ``(H, W, C)`` uint8 clean image.
            rng: Random generator (the caller owns determinism).
            mask: Optional region mask ``(H, W)``; overrides ``region``.
            return_categories: Also return each box's COCO category id.

        Returns:
            float32 ``(K, 4)`` xyxy boxes in the pixel frame of ``img`` (and
            with ``return_categories`` their int64 ``(K,)`` category ids).

        Raises:
            RuntimeError: If a box finds no valid position after ``max_tries``.
        """
        h, w = img.shape[:2]
        region = self.region_of(img, mask)
        if not region.any():
            raise RuntimeError(f'BoxPriorSampler: empty {self.region} region in a {w}x{h} image')
        integral = cv2.integral(region.astype(np.uint8)).astype(np.int64)
        k = int(rng.integers(self.num_boxes[0], self.num_boxes[1] + 1))
        boxes = np.zeros((0, 4), np.float64)
        categories = []
        for i in range(k):
            box, index = self._place_one(rng, integral, boxes, w, h)
            if box is None:
                raise RuntimeError(
                    f'BoxPriorSampler: no valid position for box {i + 1}/{k} in a {w}x{h} '
                    f'image after {self.max_tries} tries (region={self.region!r}, '
                    f'{region.mean():.1%} of the image); lower num_boxes or min_inside')
            boxes = np.vstack([boxes, box])
            categories.append(self.box_categories[index])
        if return_categories:
            return boxes.astype(np.float32), np.asarray(categories, np.int64)
        return boxes.astype(np.float32)

    def _place_one(self, rng: np.random.Generator, integral: np.ndarray, placed: np.ndarray,
                   w: int, h: int) -> Tuple[Optional[np.ndarray], int]:
        n = self.positions_per_try
        for _ in range(self.max_tries):
            bw, bh, index = self._draw_size(rng, w, h)
            x1 = rng.uniform(0, w - bw, n)
            y1 = rng.uniform(0, h - bh, n)
            x2, y2 = x1 + bw, y1 + bh
            # Pixels touched by the box, for the region test via the integral image.
            px1, py1 = np.floor(x1).astype(int), np.floor(y1).astype(int)
            px2 = np.minimum(np.ceil(x2).astype(int), w)
            py2 = np.minimum(np.ceil(y2).astype(int), h)
            inside = (integral[py2, px2] - integral[py1, px2] - integral[py2, px1]
                      + integral[py1, px1])
            ok = inside >= self.min_inside * (px2 - px1) * (py2 - py1)
            for b in placed:
                ok &= (x2 <= b[0]) | (b[2] <= x1) | (y2 <= b[1]) | (b[3] <= y1)
            hits = np.flatnonzero(ok)
            if len(hits):
                j = hits[0]
                return np.array([x1[j], y1[j], x2[j], y2[j]]), index
        return None, -1

    def __repr__(self) -> str:
        return (f'{type(self).__name__}(ann_file={str(self.ann_file)!r}, '
                f'num_boxes={self.num_boxes}, region={self.region!r}, '
                f'{len(self.rel_sizes)} prior boxes'
                + (f', classes={self.classes}' if self.classes is not None else '') + ')')
