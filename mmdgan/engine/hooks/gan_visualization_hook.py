"""Write PNG grids of what the generators do during training."""
import os
import os.path as osp
from typing import Dict, Optional, Sequence

import cv2
import numpy as np
import torch
from mmengine.hooks import Hook
from mmengine.model import is_model_wrapper

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


def write_png_atomic(path: str, img: np.ndarray) -> None:
    """Write ``img`` to ``path`` through a temporary file, so a reader never
    sees a half-written PNG."""
    ok, buf = cv2.imencode('.png', img)
    if not ok:
        raise OSError(f'could not encode PNG for {path}')
    tmp = f'{path}.tmp'
    with open(tmp, 'wb') as f:
        f.write(buf.tobytes())
    os.replace(tmp, path)


@HOOKS.register_module()
class GANVisualizationHook(Hook):
    """Save ``work_dir/vis/iter_XXXXXX.png`` every ``interval`` iterations.

    Rows: clean x, its insertion mask, G_X(x, m), labelled y, G_Y(y, m_y);
    one column per sample of the current training batch.

    Args:
        interval: Save every this many training iterations (and after the
            last one).
        max_samples: Columns of the grid.
        out_dir: Folder, relative to the work dir unless absolute.
    """

    priority = 'LOW'

    def __init__(self, interval: int = 100, max_samples: int = 4,
                 out_dir: str = 'vis') -> None:
        if interval < 1 or max_samples < 1:
            raise ValueError('GANVisualizationHook: interval and max_samples must be >= 1')
        self.interval = interval
        self.max_samples = max_samples
        self.out_dir = out_dir

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
        os.makedirs(out_dir, exist_ok=True)
        path = osp.join(out_dir, f'iter_{runner.iter + 1:06d}.png')
        write_png_atomic(path, make_grid(images, max_samples=self.max_samples))
        runner.logger.info(f'GANVisualizationHook: wrote {path}')
