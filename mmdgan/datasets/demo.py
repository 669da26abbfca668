"""Procedural, radiograph-like demo data with exact lesion boxes.

Each image is a breast-like foreground (textured tissue with dense glandular
patches, fibrous strands, bright lesion-like distractor blobs and quantum
noise) on a dark background. Labelled images (Y) additionally carry 1-3
lesions drawn from documented distributions (:data:`LESION_DIAMETER`,
:data:`LESION_CONTRAST`, :data:`DISTRACTOR_CONTRAST`): a dense, round to
lobulated or spiculated mass with a soft edge, 6-16 % of the image side,
log-uniform contrast from clearly visible down to the brightness of the
distractors (the hard cases). The distractors share the lesions' size
but are fuzzier and mostly fainter, so a detector trained on a few dozen
images learns them but stays clearly imperfect.

Everything is drawn from ``numpy.random.Generator`` streams keyed by
``(seed, split, index)``, so a dataset is byte-identical for the same seed.
"""
import os
from pathlib import Path
from typing import Callable, Dict, List, Optional, Sequence, Tuple

import cv2
import numpy as np

from mmdgan.fileio import ImageRecord, write_image_atomic
from mmdgan.fileio.dataset_folder import (
    CLEAN_FILES,
    LABELLED_FILES,
    dataset_output,
    format_counts,
    write_dataset,
)

CATEGORY = 'lesion'
SHAPES = ('round', 'lobulated', 'spiculated')
#: Lesion diameter as a fraction of the image side, log-uniform (small ones common).
LESION_DIAMETER = (0.06, 0.16)
#: Lesion peak contrast in grey levels over the tissue, log-uniform; the low end
#: is as faint as the brighter distractors.
LESION_CONTRAST = (35.0, 120.0)
#: Distractor (lesion-sized Gaussian bump, not a lesion) peak contrast, uniform.
DISTRACTOR_CONTRAST = (10.0, 30.0)
#: Stream id of each split, so that splits never share random numbers.
_SPLIT_KEYS = {name: i for i, name in enumerate(
    [*LABELLED_FILES, *(f'clean_{s}' for s in CLEAN_FILES)])}


def _smooth_noise(rng: np.random.Generator, size: int, scale: float) -> np.ndarray:
    """Unit-variance noise with correlation length ``scale`` pixels.

    Drawn at low resolution and upsampled, which is much cheaper than a large
    Gaussian blur at full resolution.
    """
    low = max(2, int(round(size / max(scale, 1.0))))
    noise = rng.standard_normal((low, low)).astype(np.float32)
    up = cv2.resize(noise, (size, size), interpolation=cv2.INTER_CUBIC)
    return (up - up.mean()) / (up.std() + 1e-6)


def _foreground(rng: np.random.Generator, size: int,
                grid: Tuple[np.ndarray, np.ndarray]) -> Tuple[np.ndarray, np.ndarray]:
    """Breast-like region against the left or right edge.

    Returns:
        The boolean foreground and the tissue thickness in ``[0, 1]``
        (thin near the skin line, thick near the chest wall).
    """
    yy, xx = grid
    right = rng.random() < 0.5
    cx = (size - 1) if right else 0.0
    cy = size * rng.uniform(0.42, 0.58)
    a = size * rng.uniform(0.62, 0.88)
    b = size * rng.uniform(0.36, 0.47)
    dx, dy = (xx - cx) / a, (yy - cy) / b
    theta = np.arctan2(dy, dx)
    wobble = np.zeros_like(theta)
    for k in (2, 3, 5):
        wobble += rng.uniform(0.0, 0.04) * np.sin(k * theta + rng.uniform(0, 2 * np.pi))
    r = np.sqrt(dx * dx + dy * dy) / (1.0 + wobble)
    thickness = np.clip(1.0 - r, 0.0, 1.0) ** 0.35
    return r < 1.0, thickness.astype(np.float32)


def _blob(size: int, cx: float, cy: float, sigma_x: float, sigma_y: float,
          grid: Tuple[np.ndarray, np.ndarray]) -> np.ndarray:
    """Unnormalised axis-aligned Gaussian bump, evaluated on a local window only."""
    yy, xx = grid
    out = np.zeros((size, size), np.float32)
    rad = int(3 * max(sigma_x, sigma_y)) + 1
    x0, x1 = max(0, int(cx) - rad), min(size, int(cx) + rad + 1)
    y0, y1 = max(0, int(cy) - rad), min(size, int(cy) + rad + 1)
    if x0 >= x1 or y0 >= y1:
        return out
    gx = (xx[y0:y1, x0:x1] - cx) / sigma_x
    gy = (yy[y0:y1, x0:x1] - cy) / sigma_y
    out[y0:y1, x0:x1] = np.exp(-0.5 * (gx * gx + gy * gy))
    return out


def _random_point(rng: np.random.Generator, fg: np.ndarray) -> Tuple[float, float]:
    ys, xs = np.nonzero(fg)
    i = rng.integers(len(xs))
    return float(xs[i]) + rng.random(), float(ys[i]) + rng.random()


def _background(rng: np.random.Generator, size: int,
                grid: Tuple[np.ndarray, np.ndarray]) -> Tuple[np.ndarray, np.ndarray]:
    """Tissue image (float, grey levels) and its foreground mask."""
    fg, thick = _foreground(rng, size, grid)
    base = rng.uniform(70, 120)
    tex = (rng.uniform(8, 16) * _smooth_noise(rng, size, size / 6)
           + rng.uniform(4, 9) * _smooth_noise(rng, size, size / 24)
           + rng.uniform(2, 6) * _smooth_noise(rng, size, 2.5))
    # Fibrous strands run roughly towards the nipple: stretched noise.
    strands = rng.standard_normal((size, size)).astype(np.float32)
    strands = cv2.GaussianBlur(strands, (0, 0), sigmaX=size / 16, sigmaY=size / 90)
    strands = strands / (strands.std() + 1e-6)
    tex += rng.uniform(3, 7) * strands
    dense = np.zeros((size, size), np.float32)
    for _ in range(rng.integers(1, 4)):
        x, y = _random_point(rng, fg)
        s = size * rng.uniform(0.08, 0.2)
        dense += rng.uniform(15, 45) * _blob(size, x, y, s, s * rng.uniform(0.6, 1.4), grid)
    # Distractors: lesion-sized bright bumps that are not lesions.
    distract = np.zeros((size, size), np.float32)
    for _ in range(rng.poisson(4)):
        x, y = _random_point(rng, fg)
        s = size * rng.uniform(0.012, 0.04)
        contrast = rng.uniform(*DISTRACTOR_CONTRAST)
        distract += contrast * _blob(size, x, y, s, s * rng.uniform(0.5, 1.5), grid)
    tissue = (base + tex + dense + distract) * thick
    dark = rng.uniform(4, 18)
    img = np.where(fg, np.maximum(tissue, dark), dark).astype(np.float32)
    return img, fg


def _lesion_patch(rng: np.random.Generator, diameter: float,
                  shape: str) -> Tuple[np.ndarray, np.ndarray]:
    """One lesion on its own patch.

    Returns:
        The intensity profile in ``[0, 1]`` and the boolean footprint (the
        object's extent, which defines its box), both ``(P, P)``.
    """
    radius = diameter / 2
    p = int(np.ceil(diameter)) + 4
    c = (p - 1) / 2
    yy, xx = np.mgrid[0:p, 0:p].astype(np.float32)
    aspect, rot = rng.uniform(0.7, 1.0), rng.uniform(0, np.pi)
    dx, dy = xx - c, yy - c
    u = dx * np.cos(rot) + dy * np.sin(rot)
    v = (-dx * np.sin(rot) + dy * np.cos(rot)) / aspect
    theta = np.arctan2(v, u)
    core_r = radius * (0.6 if shape == 'spiculated' else 1.0)
    edge = np.ones_like(theta)
    if shape == 'lobulated':
        for k in rng.choice(np.arange(3, 7), size=2, replace=False):
            edge += rng.uniform(0.08, 0.2) * np.sin(k * theta + rng.uniform(0, 2 * np.pi))
        edge /= edge.max()
    rho = np.sqrt(u * u + v * v) / (core_r * edge)
    footprint = rho < 1.0
    # A dense mass: flat core, soft rim (clipped paraboloid).
    profile = np.where(footprint, np.clip(1.6 * (1 - rho * rho), 0, 1), 0.0)
    if shape == 'spiculated':
        spikes = np.zeros((p, p), np.uint8)
        for ang in rng.uniform(0, 2 * np.pi, size=rng.integers(6, 13)):
            length = radius * rng.uniform(0.75, 1.0)
            end = (int(round(c + length * np.cos(ang))), int(round(c + length * np.sin(ang))))
            cv2.line(spikes, (int(round(c)), int(round(c))), end, 1, 1)
        footprint |= spikes.astype(bool)
        profile = np.maximum(profile, 0.55 * spikes)
    return profile.astype(np.float32), footprint


def _add_lesions(rng: np.random.Generator, img: np.ndarray, fg: np.ndarray,
                 num: int) -> List[Tuple[float, float, float, float]]:
    """Paste ``num`` lesions inside the foreground; returns their xyxy boxes."""
    size = img.shape[0]
    boxes: List[Tuple[float, float, float, float]] = []
    for _ in range(num):
        # Log-uniform size: small lesions are common, large ones rare.
        diameter = size * float(np.exp(rng.uniform(*np.log(LESION_DIAMETER))))
        shape = SHAPES[rng.integers(len(SHAPES))]
        profile, footprint = _lesion_patch(rng, diameter, shape)
        ys, xs = np.nonzero(footprint)
        p = profile.shape[0]
        for _try in range(50):
            x0, y0 = (int(v) for v in rng.integers(0, size - p, size=2))
            box = (float(x0 + xs.min()), float(y0 + ys.min()),
                   float(x0 + xs.max() + 1), float(y0 + ys.max() + 1))
            inside = fg[y0 + ys, x0 + xs].mean() > 0.95
            disjoint = all(box[2] <= b[0] or b[2] <= box[0] or box[3] <= b[1] or b[3] <= box[1]
                           for b in boxes)
            if inside and disjoint:
                break
        else:
            continue
        # Faint lesions are frequent: contrast log-uniform in grey levels.
        contrast = float(np.exp(rng.uniform(*np.log(LESION_CONTRAST))))
        blur = rng.uniform(0.3, 2.0) * size / 256
        bump = cv2.GaussianBlur(contrast * profile, (0, 0), blur)
        img[y0:y0 + p, x0:x0 + p] += bump
        boxes.append(box)
    return boxes


def render_image(seed: int, split: str, index: int, size: int = 256,
                 num_lesions: int = 0) -> Tuple[np.ndarray, List[Tuple[float, ...]]]:
    """Render one demo image.

    Args:
        seed: Dataset seed.
        split: Split name (a key of the random stream).
        index: Image index within the split.
        size: Side length in pixels.
        num_lesions: Lesions to insert (0 for a clean image).

    Returns:
        A uint8 ``(size, size)`` image and its lesion boxes (xyxy, pixel frame).
    """
    rng = np.random.default_rng([seed, _SPLIT_KEYS[split], index])
    grid = np.mgrid[0:size, 0:size].astype(np.float32)
    img, fg = _background(rng, size, (grid[0], grid[1]))
    boxes = _add_lesions(rng, img, fg, num_lesions)
    img += rng.uniform(1.5, 4.0) * rng.standard_normal(img.shape).astype(np.float32)
    return np.clip(np.rint(img), 0, 255).astype(np.uint8), boxes


def make_demo_dataset(out_dir: os.PathLike, seed: int = 0, num_clean: int = 200,
                      num_labelled: int = 60, size: int = 256,
                      num_heldout: int = 150, num_clean_heldout: Optional[int] = None,
                      overwrite: bool = False) -> dict:
    """Write a demo dataset folder (``images/`` + six COCO files).

    Args:
        out_dir: Output folder.
        seed: Random seed; the same seed gives byte-identical files.
        num_clean: Clean training images (X train).
        num_labelled: Labelled training images (Y train).
        size: Image side in pixels.
        num_heldout: Labelled images in each of Y val and Y test (1-3
            lesions each, so the default gives hundreds of held-out boxes).
        num_clean_heldout: Clean images in each of X val and X test
            (default ``num_clean // 4``, at least 1).
        overwrite: Replace an existing ``out_dir`` if it is a dataset folder;
            the folder appears only when complete.

    Returns:
        ``{json file name: (images, boxes)}``.
    """
    def render(split: str, index: int, num: int) -> Tuple[np.ndarray, list]:
        img, boxes = render_image(seed, split, index, size, num)
        return img, [(*b, 1) for b in boxes]

    return write_procedural_dataset(out_dir, render, [CATEGORY], seed, size, num_clean,
                                    num_labelled, num_heldout, num_clean_heldout, overwrite)


#: ``render(split, index, num_objects) -> (uint8 image, [(x1, y1, x2, y2, category_id)])``.
RenderFn = Callable[[str, int, int], Tuple[np.ndarray, list]]


def write_procedural_dataset(out_dir: os.PathLike, render: RenderFn, categories: Sequence[str],
                             seed: int, size: int, num_clean: int, num_labelled: int,
                             num_heldout: int, num_clean_heldout: Optional[int],
                             overwrite: bool) -> dict:
    """Check the sizes, render every split with ``render`` and write the folder.

    Labelled images get 1-3 objects each (drawn from a stream of their own),
    clean images none; arguments as :func:`make_demo_dataset`.
    """
    for name, val in (('num_clean', num_clean), ('num_labelled', num_labelled),
                      ('num_heldout', num_heldout)):
        if val < 1:
            raise ValueError(f'{name} must be >= 1, got {val}')
    if size < 32:
        raise ValueError(f'size must be >= 32, got {size}')
    if num_clean_heldout is None:
        num_clean_heldout = max(1, num_clean // 4)
    sizes = dict(train=num_labelled, val=num_heldout, test=num_heldout)
    with dataset_output(out_dir, overwrite) as tmp:
        return _write_splits(tmp, render, categories, seed, size, num_clean, num_clean_heldout,
                             sizes)


def _write_splits(out_dir: Path, render: RenderFn, categories: Sequence[str], seed: int,
                  size: int, num_clean: int, num_clean_heldout: int,
                  sizes: Dict[str, int]) -> dict:
    """Render and write every split of :func:`write_procedural_dataset` into ``out_dir``."""
    labelled, clean = {}, {}
    for split, n in sizes.items():
        labelled[split] = []
        for i in range(n):
            rng = np.random.default_rng([seed, _SPLIT_KEYS[split], 10 ** 6 + i])
            img, boxes = render(split, i, int(rng.integers(1, 4)))
            name = f'images/{split}_{i:04d}.png'
            write_image_atomic(img, out_dir / name)
            labelled[split].append(ImageRecord(name, size, size, boxes))
        n_clean = num_clean if split == 'train' else num_clean_heldout
        clean[split] = []
        for i in range(n_clean):
            img, _ = render(f'clean_{split}', i, 0)
            name = f'images/clean_{split}_{i:04d}.png'
            write_image_atomic(img, out_dir / name)
            clean[split].append(ImageRecord(name, size, size))
    return write_dataset(out_dir, labelled, clean, list(categories))


__all__ = ['make_demo_dataset', 'render_image', 'format_counts', 'CATEGORY']
