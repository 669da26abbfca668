"""Generator inputs for parity checks, calibration, quality gates and timing."""
from pathlib import Path
from typing import List, Optional, Tuple, Union

import cv2
import numpy as np

from mmdgan.fileio import load_coco, read_image
from mmdgan.structures import rasterize_boxes

IMAGE_SUFFIXES = ('.png', '.jpg', '.jpeg', '.bmp', '.pgm', '.tif', '.tiff')
#: Default demo dataset of the repository (made by tools/make_demo_data.py).
DEMO_ROOT = Path(__file__).resolve().parents[2] / 'data' / 'demo'


def random_boxes(rng: np.random.Generator, batch: int, height: int, width: int,
                 num_boxes: Tuple[int, int] = (1, 3), min_frac: float = 0.08,
                 max_frac: float = 0.3) -> List[np.ndarray]:
    """Random integer xyxy boxes inside the image, like the insertion boxes of synthesis.

    Args:
        rng: Random generator.
        batch, height, width: Image count and size.
        num_boxes: Inclusive range of boxes per image.
        min_frac, max_frac: Box side as a fraction of the image side.
        shape: ``'box'`` or ``'ellipse'``, drawn as training and synthesis
            draw them (:func:`mmdgan.structures.rasterize_boxes`).

    Returns:
        Per image, a float32 ``(K, 4)`` array.
    """
    boxes = []
    for _ in range(batch):
        img_boxes = []
        for _ in range(rng.integers(num_boxes[0], num_boxes[1] + 1)):
            box_h = max(1, int(height * rng.uniform(min_frac, max_frac)))
            box_w = max(1, int(width * rng.uniform(min_frac, max_frac)))
            top = rng.integers(0, height - box_h + 1)
            left = rng.integers(0, width - box_w + 1)
            img_boxes.append((left, top, left + box_w, top + box_h))
        boxes.append(np.asarray(img_boxes, np.float32).reshape(-1, 4))
    return boxes


def boxes_to_masks(boxes: List[np.ndarray], height: int, width: int,
                   shape: str = 'box') -> np.ndarray:
    """float32 ``(B, 1, H, W)`` masks of per-image boxes, drawn as training and
    synthesis draw them (:func:`mmdgan.structures.rasterize_boxes`)."""
    return np.stack([rasterize_boxes(b, height, width, shape)[None] for b in boxes]
                    ).astype(np.float32)


def box_masks(rng: np.random.Generator, batch: int, height: int, width: int,
              num_boxes: Tuple[int, int] = (1, 3), min_frac: float = 0.08,
              max_frac: float = 0.3, shape: str = 'box') -> np.ndarray:
    """Masks of :func:`random_boxes` (same arguments) drawn as ``shape``:
    float32 ``(batch, 1, H, W)``."""
    return boxes_to_masks(random_boxes(rng, batch, height, width, num_boxes, min_frac,
                                       max_frac), height, width, shape)


def synthetic_images(rng: np.random.Generator, batch: int, channels: int, height: int,
                     width: int) -> np.ndarray:
    """Smooth, film-like images (blurred blobs plus grain) in ``[-1, 1]``.

    Used when no real image is at hand: unlike uniform noise they have the
    low-frequency structure and dark background of a radiograph.
    """
    images = np.empty((batch, channels, height, width), np.float32)
    for image in images:
        canvas = np.zeros((height, width), np.float32)
        for _ in range(8):
            cy, cx = rng.uniform(0, height), rng.uniform(0, width)
            sigma = rng.uniform(0.08, 0.35) * min(height, width)
            yy, xx = np.ogrid[:height, :width]
            canvas += rng.uniform(0.2, 1.0) * np.exp(
                -((yy - cy)**2 + (xx - cx)**2) / (2 * sigma**2))
        canvas = canvas / max(float(canvas.max()), 1e-6)
        canvas += rng.normal(0, 0.03, canvas.shape).astype(np.float32)
        image[:] = np.clip(canvas, 0, 1)[None] * 2 - 1
    return images


def list_images(source: Union[str, Path]) -> List[Path]:
    """Image files of a folder, or of a (clean) COCO json, sorted.

    Args:
        source: A folder of images, or a COCO json whose ``file_name`` entries
            are relative to the json's folder (the mmdgan dataset layout).

    Raises:
        FileNotFoundError: If ``source`` or a listed image does not exist.
        ValueError: If ``source`` holds no image.
    """
    source = Path(source)
    if not source.exists():
        raise FileNotFoundError(f'image source not found: {source}')
    if source.is_dir():
        files = sorted(p for p in source.iterdir() if p.suffix.lower() in IMAGE_SUFFIXES)
    else:
        entries = load_coco(source, 'image source', keys=('images',))['images']
        files = [source.parent / entry['file_name'] for entry in entries]
        absent = [str(f) for f in files if not f.is_file()]
        if absent:
            raise FileNotFoundError(f'{source}: {len(absent)} listed images missing, '
                                    f'e.g. {absent[0]}')
    if not files:
        raise ValueError(f'{source}: no images ({"/".join(IMAGE_SUFFIXES)})')
    return files


def load_images(files: List[Path], channels: int, size: Optional[int]) -> np.ndarray:
    """Read images into GAN range.

    Args:
        files: Image paths.
        channels: 1 (grayscale) or 3 (BGR, as mmcv loads them).
        size: Square side to resize to; ``None`` keeps the size (then all
            images must share it).

    Returns:
        float32 ``(N, channels, H, W)`` in ``[-1, 1]``.
    """
    flag = cv2.IMREAD_GRAYSCALE if channels == 1 else cv2.IMREAD_COLOR
    arrays = []
    for path in files:
        img = read_image(path, flag)
        if size is not None:
            img = cv2.resize(img, (size, size), interpolation=cv2.INTER_AREA)
        img = img[None] if img.ndim == 2 else img.transpose(2, 0, 1)
        if img.shape[0] != channels:
            raise ValueError(f'{path}: {img.shape[0]} channels, the model takes {channels}')
        arrays.append(img)
    shapes = {a.shape for a in arrays}
    if len(shapes) > 1:
        raise ValueError(f'images differ in size {sorted(shapes)}: pass a size to resize to')
    return np.stack(arrays).astype(np.float32) / 127.5 - 1


def real_or_synthetic(channels: int, num: int, size: Optional[int] = None,
                      seed: int = 0) -> Tuple[np.ndarray, str]:
    """Real-looking images: demo images when ``data/demo`` exists, else synthetic.

    Returns:
        Images ``(num, channels, H, W)`` and a description of their origin.
    """
    images_dir = DEMO_ROOT / 'images'
    if images_dir.is_dir():
        files = list_images(images_dir)[:num]
        if files:
            return load_images(files, channels, size), f'demo images {images_dir}'
    side = size or 96
    return synthetic_images(np.random.default_rng(seed), num, channels, side,
                            side), 'synthetic film-like images'
