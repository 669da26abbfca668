"""Show what the generators do during training, through mmengine's visualizer."""
import os.path as osp
from typing import Dict, Optional, Sequence

import cv2
import numpy as np
import torch
from mmengine.hooks import Hook
from mmengine.model import is_model_wrapper

from mmdgan.fileio import write_image_atomic
from mmdgan.registry import HOOKS

#: Grid rows, top to bottom: key of ``DetectorGAN.sample_images``.
ROWS = ('clean', 'mask', 'inserted', 'labelled', 'removed')


def to_uint8(img: torch.Tensor) -> np.ndarray:
    """``(C, H, W)`` GAN-range tensor -> ``(H, W, 3)`` uint8 image (loader order)."""
    img = img.detach().float().cpu().clamp(-1, 1)
    if img.shape[0] == 1:
        img = img.expand(3, -1, -1)
    arr = ((img + 1) * 127.5).round().to(torch.uint8).permute(1, 2, 0).numpy()
    return np.ascontiguousarray(arr)


def make_grid(images: Dict[str, torch.Tensor], rows: Sequence[str] = ROWS,
              max_samples: int = 4, pad: int = 2) -> np.ndarray:
    """Tile ``images[row][i]`` into a ``len(rows)`` x ``max_samples`` grid.

    Masks (values in ``[0, 1]``) are shown white inside the box.

    Returns:
        ``(H, W, 3)`` uint8 image.
    """
    missing = [r for r in rows if r not in images]
    if missing:
        raise KeyError(f'make_grid: no images for row(s) {missing}')
    cols = min(max_samples, min(len(images[r]) for r in rows))
    tiles = []
    for row in rows:
        batch = images[row] * 2 - 1 if row.endswith('mask') else images[row]
        tiles.append([to_uint8(batch[i]) for i in range(cols)])
    height = max(t.shape[0] for r in tiles for t in r)
    width = max(t.shape[1] for r in tiles for t in r)
    grid = np.zeros((len(rows) * (height + pad) + pad, cols * (width + pad) + pad, 3),
                    dtype=np.uint8)
    for i, row in enumerate(tiles):
        for j, tile in enumerate(row):
            top, left = pad + i * (height + pad), pad + j * (width + pad)
            grid[top:top + tile.shape[0], left:left + tile.shape[1]] = tile
    return grid


def label_rows(grid: np.ndarray, rows: Sequence[str] = ROWS, pad: int = 2) -> np.ndarray:
    """Prepend a strip naming each row of a :func:`make_grid` grid.

    Returns:
        ``(H, W + strip, 3)`` uint8 image; the names are white on black,
        vertically centred on their rows.
    """
    row_height = (grid.shape[0] - pad) / len(rows)
    font = cv2.FONT_HERSHEY_SIMPLEX
    # Hershey glyphs are ~22 px tall at scale 1: fit them to a third of a row.
    scale = float(np.clip(row_height / 3 / 22, 0.3, 1.0))
    thickness = 1 if scale < 0.6 else 2
    sizes = [cv2.getTextSize(r, font, scale, thickness)[0] for r in rows]
    strip = np.zeros((grid.shape[0], max(w for w, _ in sizes) + 2 * pad + 2, 3), np.uint8)
    for i, (row, (_, h)) in enumerate(zip(rows, sizes)):
        baseline = int(pad + (i + 0.5) * row_height + h / 2)
        cv2.putText(strip, row, (pad, baseline), font, scale, (255, 255, 255), thickness,
                    cv2.LINE_AA)
    return np.concatenate([strip, grid], axis=1)


@HOOKS.register_module()
class GANVisualizationHook(Hook):
    """Draw a grid of the generators' work every ``interval`` iterations.

    Rows, labelled on the left: clean x, its insertion mask, G_X(x, m),
    labelled y, G_Y(y, m_y); one column per sample of the current training
    batch. The grid goes to the runner's visualizer as image ``name`` (so to
    every configured ``vis_backends``: local files, TensorBoard, ...) and,
    atomically, to ``work_dir/vis/iter_XXXXXX.png``.

    Args:
        interval: Save every this many training iterations (and after the
            last one).
        max_samples: Columns of the grid.
        out_dir: Folder, relative to the work dir unless absolute.
        name: Image name given to the visualizer.
    """

    priority = 'LOW'

    def __init__(self, interval: int = 100, max_samples: int = 4,
                 out_dir: str = 'vis', name: str = 'gan_grid') -> None:
        if interval < 1 or max_samples < 1:
            raise ValueError('GANVisualizationHook: interval and max_samples must be >= 1')
        self.interval = interval
        self.max_samples = max_samples
        self.out_dir = out_dir
        self.name = name

    def after_train_iter(self, runner, batch_idx: int, data_batch: Optional[dict] = None,
                         outputs: Optional[dict] = None) -> None:
        if data_batch is None:
            return
        if not (self.every_n_train_iters(runner, self.interval) or self.is_last_train_iter(runner)):
            return
        if runner.rank != 0:
            return
        model = runner.model.module if is_model_wrapper(runner.model) else runner.model
        was_training = model.training
        model.eval()
        try:
            images = model.sample_images(data_batch)
        finally:
            model.train(was_training)
        out_dir = self.out_dir if osp.isabs(self.out_dir) else osp.join(runner.work_dir,
                                                                         self.out_dir)
        path = osp.join(out_dir, f'iter_{runner.iter + 1:06d}.png')
        grid = label_rows(make_grid(images, max_samples=self.max_samples))
        write_image_atomic(grid, path)
        # Tiles are in loader (BGR) order; visualizer backends take RGB.
        runner.visualizer.add_image(self.name, grid[..., ::-1].copy(), step=runner.iter + 1)
        runner.logger.info(f'GANVisualizationHook: wrote {path}')
