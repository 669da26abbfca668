"""A figure of the ``breast`` plausibility region on mammograms (docs/box_region_breast_*.png).

Per film: the outline of the region boxes may land in (green), the pectoral
muscle found by its edge (red) or the fallback corner where no edge passed the
checks (magenta), and the film labels dropped from the Otsu foreground (blue).
"""
import os
from pathlib import Path
from typing import Sequence

import cv2
import numpy as np

from mmdgan.datasets.regions import breast_mask, otsu_region, pectoral_muscle, to_gray
from mmdgan.fileio import read_image, write_image_atomic

#: BGR overlay colours.
COLOURS = dict(outline=(0, 255, 0), pectoral=(0, 0, 255), fallback=(255, 0, 255),
               labels=(255, 128, 0))


def region_tile(img: np.ndarray, size: int = 256) -> np.ndarray:
    """One film with its ``breast`` region drawn on it, resized to ``size``."""
    gray = to_gray(img)
    breast = breast_mask(gray)
    muscle, detected = pectoral_muscle(gray, breast)
    vis = cv2.cvtColor(gray, cv2.COLOR_GRAY2BGR).astype(np.float32)
    for mask, colour in ((otsu_region(gray) & ~breast, COLOURS['labels']),
                         (muscle, COLOURS['pectoral' if detected else 'fallback'])):
        vis[mask] = 0.45 * vis[mask] + 0.55 * np.array(colour, np.float32)
    vis = vis.astype(np.uint8)
    scale = size / max(gray.shape)
    vis = cv2.resize(vis, (round(gray.shape[1] * scale), round(gray.shape[0] * scale)),
                     interpolation=cv2.INTER_AREA)
    region = cv2.resize((breast & ~muscle).astype(np.uint8), vis.shape[1::-1],
                        interpolation=cv2.INTER_NEAREST)
    contours, _ = cv2.findContours(region, cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_NONE)
    cv2.drawContours(vis, contours, -1, COLOURS['outline'], 1)
    tile = np.zeros((size, size, 3), np.uint8)
    tile[:vis.shape[0], :vis.shape[1]] = vis
    return tile


def region_figure(files: Sequence[os.PathLike], out: os.PathLike, columns: int = 4,
                  size: int = 256) -> Path:
    """Tile :func:`region_tile` of ``files`` (row-major) and write it atomically."""
    if not files:
        raise ValueError('region_figure: no films given')
    tiles = []
    for path in files:
        tile = region_tile(read_image(path), size)
        cv2.putText(tile, Path(path).stem, (4, size - 6), cv2.FONT_HERSHEY_SIMPLEX, 0.45,
                    (0, 255, 255), 1, cv2.LINE_AA)
        tiles.append(tile)
    tiles += [np.zeros_like(tiles[0])] * (-len(tiles) % columns)
    grid = np.vstack([np.hstack(tiles[i:i + columns]) for i in range(0, len(tiles), columns)])
    write_image_atomic(grid, out)
    return Path(out)
