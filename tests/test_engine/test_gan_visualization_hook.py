"""GANVisualizationHook helpers: grid layout and atomic PNG writing."""
import cv2
import numpy as np
import pytest
import torch

from mmdgan.engine.hooks.gan_visualization_hook import ROWS, make_grid, write_png_atomic


def _images(batch=3, size=8):
    images = {row: torch.full((batch, 1, size, size), -1.0) for row in ROWS}
    images['inserted'][:, :, 2:4, 2:4] = 1.0
    images['mask'] = torch.zeros(batch, 1, size, size)
    images['mask'][:, :, 2:4, 2:4] = 1.0
    return images


def test_grid_has_one_row_per_image_kind_and_shows_the_mask_white(tmp_path):
    grid = make_grid(_images(), max_samples=2, pad=1)
    assert grid.shape == (len(ROWS) * 9 + 1, 2 * 9 + 1, 3) and grid.dtype == np.uint8
    mask_row = ROWS.index('mask')
    top = 1 + mask_row * 9
    assert (grid[top + 2:top + 4, 3:5] == 255).all()
    assert (grid[top:top + 2, 1:9] == 0).all()
    path = tmp_path / 'grid.png'
    write_png_atomic(str(path), grid)
    assert np.array_equal(cv2.imread(str(path)), grid)
    assert [p.name for p in tmp_path.iterdir()] == ['grid.png']


def test_grid_requires_every_row():
    images = _images()
    del images['removed']
    with pytest.raises(KeyError, match='removed'):
        make_grid(images)
