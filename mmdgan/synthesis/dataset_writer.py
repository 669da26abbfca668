"""Write a synthetic detection dataset folder atomically.

Everything goes to a hidden temp folder beside the output; only a complete
dataset (images and ``train.json``) is renamed into place, so an interrupted
run leaves no half dataset behind (see :class:`mmdgan.fileio.OutputDir`).
"""
import os
from pathlib import Path
from typing import List, Optional, Sequence, Union

import numpy as np

from mmdgan.fileio import (
    ImageRecord,
    OutputDir,
    holds_only,
    load_coco,
    make_coco,
    write_image_atomic,
    write_json_atomic,
)

#: The COCO file of a synthetic dataset folder (its only split).
SYNTHETIC_ANN_FILE = 'train.json'


#: Start of the COCO ``info.description`` of every synthetic dataset.
DESCRIPTION = 'mmdgan synthetic dataset'


def is_synthetic_dataset(path: Path) -> bool:
    """Whether ``path`` holds only what :class:`SyntheticDatasetWriter` writes."""
    if not holds_only(path, ['images', SYNTHETIC_ANN_FILE], [SYNTHETIC_ANN_FILE]):
        return False
    try:
        info = load_coco(path / SYNTHETIC_ANN_FILE, keys=('images',)).get('info', {})
    except ValueError:
        return False
    return str(info.get('description', '')).startswith(DESCRIPTION)


class SyntheticDatasetWriter:
    """Context manager collecting synthetic images and their boxes.

    Example:
        >>> with SyntheticDatasetWriter('out', ['lesion'], info) as writer:
        ...     writer.add(img, boxes, category_id=1, source='images/a.png')

    Args:
        out_dir: Final dataset folder (``images/`` + ``train.json``).
        categories: Category names of Y, in id order (ids start at 1).
        info: Provenance stored as the COCO ``info`` field; its
            ``description`` must start with :data:`DESCRIPTION`.
        overwrite: Replace an existing ``out_dir`` (only once the new dataset
            is complete, and only if it is a synthetic dataset itself).
    """

    def __init__(self, out_dir: os.PathLike, categories: Sequence[str],
                 info: Optional[dict] = None, overwrite: bool = False) -> None:
        self.output = OutputDir(out_dir, overwrite, is_synthetic_dataset,
                                what='synthetic dataset (images/ + train.json)')
        self.out_dir = self.output.out_dir
        if not categories:
            raise ValueError('a synthetic dataset needs at least one category')
        self.categories = list(categories)
        self.info = dict(info or {})
        self.info.setdefault('description', DESCRIPTION)
        if not str(self.info['description']).startswith(DESCRIPTION):
            raise ValueError(f'info.description must start with {DESCRIPTION!r}: --overwrite '
                             'recognises synthetic datasets by it')
        self.records: List[ImageRecord] = []
        self.sources: List[str] = []
        self._tmp: Optional[Path] = None

    def __enter__(self) -> 'SyntheticDatasetWriter':
        self._tmp = self.output.__enter__()
        return self

    def add(self, img: np.ndarray, boxes: np.ndarray,
            category_id: Union[int, Sequence[int], np.ndarray], source: str = '') -> None:
        """Write one image (PNG, its own channels) and record its boxes.

        Args:
            img: uint8 ``(H, W)`` or ``(H, W, C)``.
            boxes: ``(K, 4)`` xyxy in the pixel frame of ``img``.
            category_id: COCO category id given to every box, or one per box.
            source: The clean image it was made from (provenance).
        """
        if self._tmp is None:
            raise RuntimeError('SyntheticDatasetWriter.add called outside its `with` block')
        if img.dtype != np.uint8:
            raise ValueError(f'synthetic images must be uint8, got {img.dtype}')
        boxes = np.asarray(boxes, np.float64).reshape(-1, 4)
        scalar = np.ndim(category_id) == 0
        ids = [int(category_id)] * len(boxes) if scalar else \
            [int(c) for c in np.asarray(category_id).reshape(-1)]
        if len(ids) != len(boxes):
            raise ValueError(f'{len(boxes)} boxes but {len(ids)} category ids')
        for cid in ids + ([int(category_id)] if scalar else []):
            if cid not in range(1, len(self.categories) + 1):
                raise ValueError(f'category_id {cid} not in 1..{len(self.categories)}')
        h, w = img.shape[:2]
        name = f'images/syn_{len(self.records):06d}.png'
        write_image_atomic(img, self._tmp / name)
        self.records.append(ImageRecord(name, w, h, [(*map(float, b), c)
                                                     for b, c in zip(boxes, ids)]))
        self.sources.append(source)

    def __exit__(self, exc_type, exc, tb) -> None:
        tmp, self._tmp = self._tmp, None
        try:
            if exc_type is None:
                if not self.records:
                    raise ValueError(f'no synthetic image was written for {self.out_dir}')
                coco = make_coco(self.records, self.categories)
                coco['info'] = dict(self.info, sources=self.sources,
                                    num_images=len(self.records),
                                    num_boxes=len(coco['annotations']))
                write_json_atomic(coco, tmp / SYNTHETIC_ANN_FILE)
        except BaseException as error:
            self.output.__exit__(type(error), error, error.__traceback__)
            raise
        self.output.__exit__(exc_type, exc, tb)
