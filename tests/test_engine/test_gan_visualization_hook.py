"""GANVisualizationHook: grid layout, row labels, atomic PNG and the visualizer's backends."""
import logging
from types import SimpleNamespace

import cv2
import numpy as np
import pytest
import torch
from mmengine.visualization import Visualizer

from mmdgan.engine.hooks.gan_visualization_hook import (
    ROWS,
    GANVisualizationHook,
    label_rows,
    make_grid,
)
from mmdgan.fileio import write_image_atomic


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
    write_image_atomic(grid, path)
    assert np.array_equal(cv2.imread(str(path)), grid)
    assert [p.name for p in tmp_path.iterdir()] == ['grid.png']


def test_grid_requires_every_row():
    images = _images()
    del images['removed']
    with pytest.raises(KeyError, match='removed'):
        make_grid(images)


def test_row_labels_are_drawn_beside_each_row_and_keep_the_grid():
    grid = make_grid(_images(size=48), max_samples=2)
    labelled = label_rows(grid)
    strip = labelled.shape[1] - grid.shape[1]
    assert labelled.shape[0] == grid.shape[0] and strip > 20
    assert np.array_equal(labelled[:, strip:], grid)
    row_height = (grid.shape[0] - 2) / len(ROWS)
    for i in range(len(ROWS)):
        band = labelled[int(2 + i * row_height):int(2 + (i + 1) * row_height), :strip]
        assert band.max() == 255, f'row {ROWS[i]} has no label'
    # Different names draw different text.
    bands = [labelled[int(2 + i * row_height):int(2 + (i + 1) * row_height), :strip]
             for i in range(len(ROWS))]
    assert not np.array_equal(bands[0], bands[2])


class _Model(torch.nn.Module):
    def sample_images(self, data_batch):
        return _images(batch=2, size=16)


def _fake_runner(tmp_path, vis_backends, max_iters=4):
    visualizer = Visualizer(name=f'gan_vis_{len(list(tmp_path.iterdir()))}',
                            vis_backends=vis_backends, save_dir=str(tmp_path / 'run'))
    return SimpleNamespace(model=_Model(), visualizer=visualizer, work_dir=str(tmp_path),
                           iter=max_iters - 1, max_iters=max_iters, rank=0,
                           logger=logging.getLogger('test_gan_vis'),
                           train_loop=SimpleNamespace(max_iters=max_iters))


def test_hook_draws_through_the_visualizer_and_writes_the_local_png(tmp_path):
    runner = _fake_runner(tmp_path, [dict(type='LocalVisBackend')])
    GANVisualizationHook(interval=2, max_samples=2).after_train_iter(runner, 0, data_batch={})
    png = tmp_path / 'vis' / 'iter_000004.png'
    local = tmp_path / 'run' / 'vis_data' / 'vis_image' / 'gan_grid_4.png'
    assert png.is_file() and local.is_file()
    # The backend got the same (labelled) grid, in RGB; both files are BGR on disk.
    assert np.array_equal(cv2.imread(str(png)), cv2.imread(str(local)))
    assert [p.name for p in png.parent.iterdir()] == ['iter_000004.png']


def test_hook_reaches_tensorboard_when_its_backend_is_configured(tmp_path):
    pytest.importorskip('tensorboard')
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

    runner = _fake_runner(tmp_path, [dict(type='TensorboardVisBackend')])
    GANVisualizationHook(interval=2, max_samples=2).after_train_iter(runner, 0, data_batch={})
    runner.visualizer.close()
    (event_file,) = (tmp_path / 'run').rglob('events.out.tfevents.*')
    events = EventAccumulator(str(event_file)).Reload()
    assert events.Tags()['images'] == ['gan_grid']
    (image,) = events.Images('gan_grid')
    grid = cv2.imread(str(tmp_path / 'vis' / 'iter_000004.png'))
    assert image.step == 4 and (image.height, image.width) == grid.shape[:2]
