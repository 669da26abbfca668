"""region='breast': breast tissue without film labels and pectoral muscle."""
import cv2
import numpy as np
import pytest

from mmdgan.datasets.box_sampler import BoxPriorSampler
from mmdgan.datasets.regions import (
    breast_mask,
    breast_region,
    chest_wall_side,
    pectoral_muscle,
)


def _phantom(side: str, pectoral: bool = True, size: int = 256, seed: int = 0):
    """An oblique-view mammogram: breast against the chest wall, a bright pectoral
    triangle in its top corner, a film label apart; chest wall on ``side``."""
    rng = np.random.default_rng(seed)
    yy, xx = np.mgrid[:size, :size]
    wall = size - 1  # drawn with the chest wall on the right, mirrored for 'left'
    breast = ((xx - wall) / (0.7 * size))**2 + ((yy - 0.6 * size) / (0.75 * size))**2 <= 1
    muscle = breast & (xx > wall - 0.4 * size * (1 - yy / (0.45 * size))) & (yy < 0.45 * size)
    img = np.full((size, size), 8.0)
    img[breast] = 100 + 25 * (xx[breast] / size)  # thicker, brighter towards the chest wall
    if pectoral:
        img[muscle] = 190
    img += cv2.GaussianBlur(rng.normal(0, 12, img.shape), (0, 0), 2)
    label = np.zeros_like(breast)
    label[200:216, 8:40] = True
    img[label] = 250
    img = np.clip(img, 0, 255).astype(np.uint8)
    if side == 'left':
        img, breast, muscle, label = (a[:, ::-1].copy() for a in (img, breast, muscle, label))
    return img, breast, muscle, label


def _iou(a, b):
    return (a & b).sum() / (a | b).sum()


@pytest.mark.parametrize('side', ['left', 'right'])
def test_pectoral_of_a_phantom(side):
    img, breast, muscle, label = _phantom(side)
    found = breast_mask(img)
    assert _iou(found, breast | muscle) > 0.97 and not found[label].any()
    assert chest_wall_side(img, found) == side
    detected, ok = pectoral_muscle(img, found)
    assert ok and _iou(detected, muscle) > 0.9
    region = breast_region(img)
    assert not region[label].any() and (region & muscle).sum() < 0.05 * muscle.sum()
    assert (region & breast & ~muscle).sum() > 0.95 * (breast & ~muscle).sum()


@pytest.mark.parametrize('side', ['left', 'right'])
def test_no_pectoral_falls_back_to_the_corner(side):
    img, breast, _, _ = _phantom(side, pectoral=False)
    muscle, detected = pectoral_muscle(img)
    assert not detected
    # The fallback triangle sits in the top chest-wall corner of the breast.
    rows, cols = np.flatnonzero(breast.any(1)), np.flatnonzero(breast.any(0))
    top, wall = rows[0] + 2, cols[-1] - 2 if side == 'right' else cols[0] + 2
    assert muscle[top, wall] and 0.05 < muscle.sum() / breast.sum() < 0.3
    mirrored = cols[0] + 2 if side == 'right' else cols[-1] - 2
    assert not muscle[:, mirrored].any()


def test_sampler_region_breast_avoids_the_pectoral(demo_data):
    img, breast, muscle, label = _phantom('left')
    sampler = BoxPriorSampler(str(demo_data / 'train.json'), num_boxes=1, region='breast')
    rng = np.random.default_rng(0)
    for _ in range(30):
        (x1, y1, x2, y2), = sampler.sample(img, rng)
        box = np.zeros_like(breast)
        box[int(y1):int(np.ceil(y2)), int(x1):int(np.ceil(x2))] = True
        assert (box & muscle).sum() <= 0.05 * box.sum() and not (box & label).any()
        assert (box & breast).sum() >= 0.95 * box.sum()


# mini-MIAS films (odd numbers: chest wall on the right), both orientations.
FILMS = (1, 2, 5, 6, 11, 12, 21, 22)


def test_real_films_boxes_stay_in_the_breast_and_off_the_chest_wall_corner(mini_mias_root,
                                                                           demo_data):
    # The mini-MIAS config's sampler setting: one box, 90 % of it in the region.
    sampler = BoxPriorSampler(str(demo_data / 'train.json'), num_boxes=1, region='breast',
                              min_inside=0.9)
    rng = np.random.default_rng(0)
    for number in FILMS:
        img = cv2.imread(str(mini_mias_root / 'images' / f'mdb{number:03d}.png'),
                         cv2.IMREAD_GRAYSCALE)
        breast = breast_mask(img)
        side = 'right' if number % 2 else 'left'
        assert chest_wall_side(img, breast) == side, number
        # The top chest-wall corner of the breast (legs 15 % of its width and
        # height) is pectoral muscle on every oblique view.
        rows, cols = np.flatnonzero(breast.any(1)), np.flatnonzero(breast.any(0))
        yy, xx = np.mgrid[:img.shape[0], :img.shape[1]]
        depth = (cols[-1] - xx) if side == 'right' else (xx - cols[0])
        corner = (depth / (0.15 * len(cols)) + (yy - rows[0]) / (0.15 * len(rows))) < 1
        corner &= breast
        assert corner.any()
        for _ in range(10):
            x1, y1, x2, y2 = (int(round(v)) for v in sampler.sample(img, rng)[0])
            box = np.zeros_like(breast)
            box[y1:y2, x1:x2] = True
            assert (box & breast).sum() >= 0.85 * box.sum(), number
            assert not (box & corner).any(), number
