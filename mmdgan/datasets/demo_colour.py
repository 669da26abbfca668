"""Procedural colour, two-class demo data: the RGB / several-classes test domain.

Each image is a textured colour background (smooth colour clouds, a random
stripe pattern and sensor noise). Labelled images (Y) carry 1-3 objects of
two classes that differ in shape and colour: a ``disc`` (a warm-coloured
filled circle with a darker rim) and a ``square`` (a cool-coloured square
rotated by up to 45 degrees, with a bright centre); clean images (X) carry
none. Object sizes, colours and positions are drawn per object, boxes are
exact, and everything comes from ``numpy.random.Generator`` streams keyed by
``(seed, split, index)``, so a dataset is byte-identical for the same seed.

It exercises what the grey one-class demo cannot: three channels, two
categories with their own class frequencies and sizes, the ``'any'``
insertion region of photographs (:func:`mmdgan.fileio.dataset_meta.default_region`).
"""
import os
from typing import List, Optional, Tuple

import cv2
import numpy as np

from .demo import _SPLIT_KEYS, _smooth_noise, write_procedural_dataset

CLASSES = ('disc', 'square')
#: Object side as a fraction of the image side, per class (discs are smaller).
OBJECT_SIZE = {'disc': (0.10, 0.18), 'square': (0.14, 0.24)}
#: Share of each class among the objects of a labelled image.
CLASS_FREQUENCY = (0.6, 0.4)


def _background(rng: np.random.Generator, size: int) -> np.ndarray:
    """A float32 ``(size, size, 3)`` BGR texture in [0, 255]."""
    base = rng.uniform(70, 180, 3).astype(np.float32)
    img = np.empty((size, size, 3), np.float32)
    for c in range(3):
        img[..., c] = base[c] + 35 * _smooth_noise(rng, size, size / rng.uniform(3, 8))
    yy, xx = np.mgrid[0:size, 0:size].astype(np.float32)
    angle = rng.uniform(0, np.pi)
    period = rng.uniform(0.05, 0.15) * size
    stripes = np.sin(2 * np.pi * (xx * np.cos(angle) + yy * np.sin(angle)) / period)
    img += rng.uniform(5, 15) * stripes[..., None] * rng.uniform(0.5, 1.0, 3)
    return img


def _draw_object(rng: np.random.Generator, img: np.ndarray, name: str,
                 box: Tuple[float, float, float, float]) -> None:
    """Paint one object of class ``name`` exactly inside ``box`` (in place)."""
    x1, y1, x2, y2 = box
    side = x2 - x1
    cx, cy = (x1 + x2) / 2, (y1 + y2) / 2
    layer = np.zeros(img.shape[:2], np.float32)
    if name == 'disc':
        colour = np.array([rng.uniform(20, 70), rng.uniform(60, 140), rng.uniform(190, 250)])
        yy, xx = np.mgrid[0:img.shape[0], 0:img.shape[1]].astype(np.float32)
        r = np.hypot(xx + 0.5 - cx, yy + 0.5 - cy) / (side / 2)
        layer = np.clip((1.0 - r) * side / 2, 0, 1)
        rim = np.clip(1 - np.abs(r - 0.85) * 8, 0, 1) * (r <= 1)
        shade = colour[None, None, :] * (1 - 0.35 * rim[..., None])
    else:
        colour = np.array([rng.uniform(170, 240), rng.uniform(150, 220), rng.uniform(20, 80)])
        # The rotated square is inscribed in the box, so the box stays exact.
        half = side / 2 / (abs(np.cos(a := rng.uniform(0, np.pi / 4))) + abs(np.sin(a)))
        corners = np.array([[-half, -half], [half, -half], [half, half], [-half, half]])
        rot = np.array([[np.cos(a), -np.sin(a)], [np.sin(a), np.cos(a)]])
        pts = corners @ rot.T + [cx, cy]
        cv2.fillConvexPoly(layer, np.round(pts * 16).astype(np.int32), 1.0, cv2.LINE_AA, 4)
        yy, xx = np.mgrid[0:img.shape[0], 0:img.shape[1]].astype(np.float32)
        centre = np.exp(-(((xx - cx) ** 2 + (yy - cy) ** 2) / (2 * (side / 6) ** 2)))
        shade = colour[None, None, :] + 50 * centre[..., None]
    alpha = layer[..., None] * rng.uniform(0.75, 1.0)
    img[:] = img * (1 - alpha) + shade * alpha


def render_colour_image(seed: int, split: str, index: int, size: int = 128,
                        num_objects: int = 0) -> Tuple[np.ndarray, List[Tuple[float, ...]]]:
    """Render one colour demo image.

    Returns:
        A uint8 ``(size, size, 3)`` BGR image and its boxes as ``(x1, y1, x2,
        y2, category_id)`` (ids 1 and 2 for :data:`CLASSES`), pixel frame.
    """
    rng = np.random.default_rng([seed, _SPLIT_KEYS[split], index])
    img = _background(rng, size)
    boxes: List[Tuple[float, ...]] = []
    for _ in range(num_objects):
        label = int(rng.choice(len(CLASSES), p=CLASS_FREQUENCY))
        lo, hi = OBJECT_SIZE[CLASSES[label]]
        for _try in range(50):
            side = float(np.floor(rng.uniform(lo, hi) * size))
            x1 = float(np.floor(rng.uniform(0, size - side)))
            y1 = float(np.floor(rng.uniform(0, size - side)))
            box = (x1, y1, x1 + side, y1 + side)
            if all(box[2] <= b[0] or b[2] <= box[0] or box[3] <= b[1] or b[3] <= box[1]
                   for b in boxes):
                _draw_object(rng, img, CLASSES[label], box)
                boxes.append((*box, label + 1))
                break
    img += rng.uniform(2, 5) * rng.standard_normal(img.shape).astype(np.float32)
    return np.clip(np.rint(img), 0, 255).astype(np.uint8), boxes


def make_colour_demo_dataset(out_dir: os.PathLike, seed: int = 0, num_clean: int = 60,
                             num_labelled: int = 40, size: int = 128, num_heldout: int = 40,
                             num_clean_heldout: Optional[int] = None,
                             overwrite: bool = False) -> dict:
    """Write a colour two-class demo folder (``images/`` + six COCO files + meta.json).

    Arguments as :func:`mmdgan.datasets.make_demo_dataset`.

    Returns:
        ``{json file name: (images, boxes)}``.
    """
    def render(split: str, index: int, num: int) -> Tuple[np.ndarray, list]:
        return render_colour_image(seed, split, index, size, num)

    return write_procedural_dataset(out_dir, render, CLASSES, seed, size, num_clean,
                                    num_labelled, num_heldout, num_clean_heldout, overwrite)


__all__ = ['CLASSES', 'make_colour_demo_dataset', 'render_colour_image']
