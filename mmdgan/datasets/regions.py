"""Plausibility regions for insertion boxes, found on a film's own intensities.

``otsu``: the foreground of a radiograph. ``otsu_largest``: its largest
connected component (the body without the film labels). ``breast``: on a
mammogram (medio-lateral oblique view, as in mini-MIAS), the breast tissue
without the labels and without the pectoral muscle:

1. **Breast**: the largest Otsu component with its holes filled (dark fatty
   tissue enclosed by the breast outline stays in).
2. **Chest-wall side**: the breast is thickest, so brightest, at the chest
   wall, and the film is cut there: the intensity-weighted centroid of the
   breast lies on the chest-wall side of the image centre (right on 320 of the
   322 mini-MIAS films; the two misses, mdb151/152, are filled by the breast
   edge to edge).
3. **Pectoral edge**: the image is mirrored so that the chest wall is on the
   left; the pectoral muscle is then the bright triangle in the top-left corner
   of the breast, bounded by a nearly straight edge going down and towards the
   chest wall. In each row of the upper 3/4 of the breast, the candidate edge
   point is the strongest bright-to-dark step (Gaussian-smoothed intensity,
   step over ``2k`` pixels) at least 3 % of the image width inside the breast
   outline (the skin fall-off is a step too). A line ``x = a y + c`` is fitted
   to the candidates by an exhaustive two-point consensus (RANSAC over pairs
   of up to 60 rows, deterministic), scored by the summed step strength of
   the candidates within 1.5 % of the width, restricted to pectoral geometry:
   ``-3 < a < -0.08`` (the edge goes down towards the chest wall), meeting
   the top row of the breast and the chest wall inside the breast. The line is
   refined by a weighted least-squares fit on its inliers (kept only while the
   geometry holds).
4. **Checks**: the triangle between the line and the chest wall must be
   brighter than a band of 5 % of the width beside it (> 8 grey levels), the
   inliers must cover > 20 % of the rows the edge spans, and the triangle must
   hold < 60 % of the breast.
5. **Fallback**: where no line passes (no visible or a faint pectoral; 11 % of
   the 322 mini-MIAS films at 512 px), the corner triangle of the median
   detected pectoral is excluded instead (:data:`FALLBACK_LEGS`), so that no
   box lands in the top chest-wall corner.
"""
from typing import Optional, Tuple

import cv2
import numpy as np

#: Legs of the fallback corner triangle as fractions of the breast's width (top
#: edge) and height (chest wall): the medians of the pectorals detected on the
#: 322 mini-MIAS films (0.42 and 0.52).
FALLBACK_LEGS = (0.42, 0.52)
#: Pectoral edge slope range, ``dx/dy`` in the chest-wall-left frame.
SLOPE_RANGE = (-3.0, -0.08)


def to_gray(img: np.ndarray) -> np.ndarray:
    """A uint8 single-channel view of a grey or BGR(A) image."""
    gray = img if img.ndim == 2 else cv2.cvtColor(img[..., :3], cv2.COLOR_BGR2GRAY)
    if gray.dtype != np.uint8:
        gray = cv2.normalize(gray, None, 0, 255, cv2.NORM_MINMAX).astype(np.uint8)
    return gray


def otsu_region(img: np.ndarray) -> np.ndarray:
    """Foreground (tissue) of a radiograph: pixels above the Otsu threshold."""
    _, fg = cv2.threshold(to_gray(img), 0, 1, cv2.THRESH_BINARY + cv2.THRESH_OTSU)
    return fg.astype(bool)


def largest_component(region: np.ndarray) -> np.ndarray:
    """The largest 8-connected component of a boolean region.

    On films the Otsu foreground also holds the burnt-in labels and markers
    ("R MLO", rulers); they are small islands apart from the body, and a lesion
    inserted on them teaches the detector lesions where none can be.
    """
    count, labels, stats, _ = cv2.connectedComponentsWithStats(region.astype(np.uint8),
                                                               connectivity=8)
    if count <= 1:
        return region.astype(bool)
    largest = 1 + int(np.argmax(stats[1:, cv2.CC_STAT_AREA]))
    return labels == largest


def fill_holes(region: np.ndarray) -> np.ndarray:
    """``region`` plus the background pockets it encloses (not touching the border)."""
    background = (~region).astype(np.uint8)
    _, labels = cv2.connectedComponents(background, connectivity=4)
    outside = np.unique(np.concatenate([labels[0], labels[-1], labels[:, 0], labels[:, -1]]))
    return region | ((background > 0) & ~np.isin(labels, outside))


def chest_wall_side(gray: np.ndarray, breast: np.ndarray) -> str:
    """``'left'`` or ``'right'``: the side of the image the breast's intensity leans to."""
    mass = np.where(breast, gray, 0).astype(np.float64).sum(0)
    if not mass.any():
        raise ValueError('chest_wall_side: empty breast region')
    centroid = (mass * (np.arange(len(mass)) + 0.5)).sum() / mass.sum()
    return 'left' if centroid < len(mass) / 2 else 'right'


def _edge_candidates(gray: np.ndarray, breast: np.ndarray):
    """Per row, the strongest bright-to-dark step inside the breast (chest wall left)."""
    h, w = gray.shape
    smooth = cv2.GaussianBlur(gray.astype(np.float32), (0, 0), max(1.0, w / 256))
    k = max(2, int(round(w / 128)))
    step = np.full((h, w), -np.inf, np.float32)
    step[:, k:w - k] = smooth[:, :w - 2 * k] - smooth[:, 2 * k:]
    inside = cv2.distanceTransform(breast.astype(np.uint8), cv2.DIST_L2, 5) > 0.03 * w
    rows = np.flatnonzero(breast.any(1))
    x0 = np.flatnonzero(breast.any(0))[0]
    inside[:, :x0 + k] = False
    inside[rows[0] + int(0.75 * len(rows)):] = False
    step = np.where(inside, step, -np.inf)
    xs = np.argmax(step, 1)
    strength = step[np.arange(h), xs]
    ys = np.flatnonzero(strength > 0)
    return ys.astype(float), xs[ys].astype(float), strength[ys], smooth


def _geometry_ok(a, c, box: Tuple[int, int, int, int]):
    """Slope in :data:`SLOPE_RANGE`, meeting the breast's top row and its chest wall."""
    x0, y0, wb, hb = box
    a = np.asarray(a, float)
    safe = np.where(a == 0, -1.0, a)
    meets_wall = ((x0 - c) / safe - y0) / hb
    meets_top = (a * y0 + c - x0) / wb
    return ((a > SLOPE_RANGE[0]) & (a < SLOPE_RANGE[1]) & (meets_wall > 0.03)
            & (meets_wall < 1.0) & (meets_top > 0.03) & (meets_top < 1.0))


def _fit_pectoral_line(gray: np.ndarray, breast: np.ndarray) -> Optional[Tuple[float, float]]:
    """``(a, c)`` of the pectoral edge ``x = a y + c`` (chest wall left), or ``None``."""
    h, w = gray.shape
    rows, cols = np.flatnonzero(breast.any(1)), np.flatnonzero(breast.any(0))
    box = (cols[0], rows[0], cols[-1] - cols[0] + 1, rows[-1] - rows[0] + 1)
    ys, xs, strength, smooth = _edge_candidates(gray, breast)
    if len(ys) < 10:
        return None
    sub = np.linspace(0, len(ys) - 1, min(len(ys), 60)).astype(int)
    i, j = (sub[t] for t in np.triu_indices(len(sub), 1))
    a = (xs[j] - xs[i]) / (ys[j] - ys[i])
    c = xs[i] - a * ys[i]
    keep = _geometry_ok(a, c, box)
    if not keep.any():
        return None
    a, c = a[keep], c[keep]
    inliers = np.abs(xs[None] - (a[:, None] * ys[None] + c[:, None])) < 0.015 * w
    best = int(np.argmax((inliers * strength[None]).sum(1)))
    a, c, inliers = a[best], c[best], inliers[best]
    refined = np.polyfit(ys[inliers], xs[inliers], 1, w=np.sqrt(strength[inliers]))
    if _geometry_ok(refined[0], refined[1], box):
        a, c = refined
    # Checks: a bright triangle, an edge supported along its length, not most of the breast.
    yy, xx = np.mgrid[:h, :w]
    triangle = (xx < a * yy + c) & breast
    band = breast & ~triangle & (xx < a * yy + c + 0.05 * w)
    if not triangle.any() or not band.any():
        return None
    contrast = smooth[triangle].mean() - smooth[band].mean()
    support = inliers.sum() / max((box[0] - c) / a - box[1], 1.0)
    if contrast <= 8 or support <= 0.2 or triangle.sum() >= 0.6 * breast.sum():
        return None
    return float(a), float(c)


def pectoral_muscle(img: np.ndarray,
                    breast: Optional[np.ndarray] = None) -> Tuple[np.ndarray, bool]:
    """The pectoral muscle of a medio-lateral oblique mammogram.

    Args:
        img: ``(H, W)`` or ``(H, W, C)`` film.
        breast: Its breast region (default: :func:`breast_mask`).

    Returns:
        The boolean ``(H, W)`` pectoral region and whether its edge was
        detected (``False``: the fallback corner triangle, see the module
        docstring).
    """
    gray = to_gray(img)
    breast = breast_mask(gray) if breast is None else breast
    if not breast.any():
        return np.zeros(breast.shape, bool), False
    flip = chest_wall_side(gray, breast) == 'right'
    g = np.ascontiguousarray(gray[:, ::-1] if flip else gray)
    b = np.ascontiguousarray(breast[:, ::-1] if flip else breast)
    line = _fit_pectoral_line(g, b)
    detected = line is not None
    if not detected:
        rows, cols = np.flatnonzero(b.any(1)), np.flatnonzero(b.any(0))
        x0, y0 = cols[0], rows[0]
        top, wall = FALLBACK_LEGS[0] * len(cols), FALLBACK_LEGS[1] * len(rows)
        line = (-top / wall, x0 + top + top / wall * y0)
    a, c = line
    yy, xx = np.mgrid[:b.shape[0], :b.shape[1]]
    muscle = (xx < a * yy + c) & b
    return (muscle[:, ::-1] if flip else muscle), detected


def breast_mask(img: np.ndarray) -> np.ndarray:
    """Breast (or body) of a film: the largest Otsu component, holes filled."""
    return fill_holes(largest_component(otsu_region(img)))


def breast_region(img: np.ndarray) -> np.ndarray:
    """Breast tissue without film labels and pectoral muscle (``region='breast'``)."""
    breast = breast_mask(img)
    muscle, _ = pectoral_muscle(img, breast)
    return breast & ~muscle
