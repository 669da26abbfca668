"""Write a synthetic detection dataset folder atomically.

Everything goes to a hidden temp folder beside the output; only a complete
dataset (images and ``train.json``) is renamed into place, so an interrupted
run leaves no half dataset behind.
"""
import os
import shutil
import tempfile
from pathlib import Path
from typing import List, Optional, Sequence

import numpy as np

from mmdgan.datasets.converters.common import (
    ImageRecord,
    make_coco,
    write_image_atomic,
    write_json_atomic,
)

#: The COCO file of a synthetic dataset folder (its only split).
SYNTHETIC_ANN_FILE = 'train.json'


def check_output_dir(out_dir: os.PathLike, overwrite: bool) -> Path:
    """Refuse an existing output unless ``overwrite``; returns the resolved path."""
    out_dir = Path(out_dir)
    if out_dir.exists() and not overwrite:
        raise FileExistsError(f'output exists: {out_dir} (pass --overwrite to replace it)')
    if out_dir.exists() and not out_dir.is_dir():
        raise FileExistsError(f'output exists and is not a folder: {out_dir}')
    return out_dir


class SyntheticDatasetWriter:
    """Context manager collecting synthetic images and their boxes.

    Example:
        >>> with SyntheticDatasetWriter('out', ['lesion'], info) as writer:
        ...     writer.add(img, boxes, category_id=1, source='images/a.png')

    Args:
        out_dir: Final dataset folder (``images/`` + ``train.json``).
        categories: Category names of Y, in id order (ids start at 1).
        info: Provenance stored as the COCO ``info`` field.
        overwrite: Replace an existing ``out_dir`` (only once the new dataset
            is complete).
    """

    def __init__(self, out_dir: os.PathLike, categories: Sequence[str],
                 info: Optional[dict] = None, overwrite: bool = False) -> None:
        self.out_dir = check_output_dir(out_dir, overwrite)
        if not categories:
            raise ValueError('a synthetic dataset needs at least one category')
        self.categories = list(categories)
        self.info = dict(info or {})
        self.overwrite = overwrite
        self.records: List[ImageRecord] = []
        self.sources: List[str] = []
        self._tmp: Optional[Path] = None

    def __enter__(self) -> 'SyntheticDatasetWriter':
        self.out_dir.parent.mkdir(parents=True, exist_ok=True)
        self._tmp = Path(tempfile.mkdtemp(prefix=f'.{self.out_dir.name}.tmp-',
                                          dir=self.out_dir.parent))
        return self

    def add(self, img: np.ndarray, boxes: np.ndarray, category_id: int,
            source: str = '') -> None:
        """Write one image (PNG, its own channels) and record its boxes.

        Args:
            img: uint8 ``(H, W)`` or ``(H, W, C)``.
            boxes: ``(K, 4)`` xyxy in the pixel frame of ``img``.
            category_id: COCO category id given to every box.
            source: The clean image it was made from (provenance).
        """
        if self._tmp is None:
            raise RuntimeError('SyntheticDatasetWriter.add called outside its `with` block')
        if img.dtype != np.uint8:
            raise ValueError(f'synthetic images must be uint8, got {img.dtype}')
        if category_id not in range(1, len(self.categories) + 1):
            raise ValueError(f'category_id {category_id} not in 1..{len(self.categories)}')
        h, w = img.shape[:2]
        name = f'images/syn_{len(self.records):06d}.png'
        write_image_atomic(img, self._tmp / name)
        boxes = np.asarray(boxes, np.float64).reshape(-1, 4)
        self.records.append(ImageRecord(name, w, h, [(*map(float, b), category_id)
                                                     for b in boxes]))
        self.sources.append(source)

    def __exit__(self, exc_type, exc, tb) -> None:
        tmp, self._tmp = self._tmp, None
        try:
            if exc_type is not None:
                return
            if not self.records:
                raise ValueError(f'no synthetic image was written for {self.out_dir}')
            coco = make_coco(self.records, self.categories)
            coco['info'] = dict(self.info, sources=self.sources,
                                num_images=len(self.records),
                                num_boxes=len(coco['annotations']))
            write_json_atomic(coco, tmp / SYNTHETIC_ANN_FILE)
            self._publish(tmp)
            tmp = None
        finally:
            if tmp is not None and tmp.exists():
                shutil.rmtree(tmp)

    def _publish(self, tmp: Path) -> None:
        """Rename the finished folder into place, replacing an old one last."""
        old = None
        if self.out_dir.exists():
            check_output_dir(self.out_dir, self.overwrite)
            old = Path(tempfile.mkdtemp(prefix=f'.{self.out_dir.name}.old-',
                                        dir=self.out_dir.parent))
            os.replace(self.out_dir, old / 'data')
        os.replace(tmp, self.out_dir)
        if old is not None:
            shutil.rmtree(old)
