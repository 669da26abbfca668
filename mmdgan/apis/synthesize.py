"""Write a synthetic detection dataset with a trained inserter ``G_X``.

The inserter runs at the resolution of the GAN's clean training pipeline
(its ``Resize``, if any): images are written at that size and the boxes in
the same pixel frame. The downstream detector resizes every image to its own
scale, so the synthetic set need not match the real images' native size.
"""
import os
from pathlib import Path
from typing import List, Optional, Union

import numpy as np
from mmengine.config import Config

from mmdgan.synthesis import (
    CleanImageSource,
    SyntheticDatasetWriter,
    box_sampler_cfg,
    boxes_to_mask,
    build_box_sampler,
    gan_resize,
    labelled_categories,
    run_synthesis,
)

BACKENDS = ('pytorch', 'onnxruntime')


def build_inserter(config: Config, checkpoint: Optional[str], backend: str,
                   onnx_model: Optional[str] = None, device: str = 'cpu'):
    """The inserter of ``backend``; both share the ``TorchInserter`` call signature."""
    if backend == 'pytorch':
        from .inserter import TorchInserter, load_generator
        return TorchInserter(load_generator(config, checkpoint, 'inserter', device), device)
    if backend == 'onnxruntime':
        if onnx_model is None:
            raise ValueError('--backend onnxruntime needs --onnx FILE (the exported inserter)')
        if not os.path.isfile(onnx_model):
            raise FileNotFoundError(f'ONNX model not found: {onnx_model}')
        try:
            from mmdgan.deploy import OrtInserter
        except ImportError as e:
            raise ImportError('the onnxruntime backend needs mmdgan.deploy.OrtInserter and '
                              f'onnxruntime, which could not be imported: {e}') from e
        return OrtInserter(onnx_model)
    raise ValueError(f'backend must be one of {BACKENDS}, got {backend!r}')


def _gan_insert_fn(inserter):
    """Wrap an inserter (float GAN range, NCHW) as a uint8 image-list insert function."""

    def insert(images: List[np.ndarray], boxes: List[np.ndarray]) -> tuple:
        batch = np.stack([img if img.ndim == 3 else img[..., None] for img in images])
        batch = batch.transpose(0, 3, 1, 2).astype(np.float32) / 127.5 - 1.0
        h, w = batch.shape[2:]
        masks = np.stack([boxes_to_mask(b, h, w)[None] for b in boxes])
        # Local-crop inserters paint one window per box: they need the boxes.
        extra = (boxes, ) if getattr(inserter, 'local_crop', False) else ()
        out = np.asarray(inserter(batch, masks, *extra), np.float32)
        if out.shape != batch.shape:
            raise ValueError(f'inserter returned shape {out.shape} for input {batch.shape}')
        out = np.clip(np.rint((out + 1.0) * 127.5), 0, 255).astype(np.uint8).transpose(0, 2, 3, 1)
        return [o[..., 0] if img.ndim == 2 else o for o, img in zip(out, images)], boxes

    return insert


def synthesize(config: Union[str, Config],
               checkpoint: Optional[str],
               clean_ann_file: str,
               num: int,
               out_dir: str,
               backend: str = 'pytorch',
               seed: int = 0,
               batch_size: int = 8,
               onnx_model: Optional[str] = None,
               device: str = 'cpu',
               overwrite: bool = False,
               progress: bool = True) -> Path:
    """Insert objects into clean images with ``G_X`` and write a COCO dataset folder.

    Args:
        config: DetectorGAN config (file or object). Its
            ``train_dataloader.dataset.box_sampler`` samples the insertion
            boxes; its ``labelled_ann_file`` gives Y's categories and
            ``target_class`` the label of every inserted box.
        checkpoint: Checkpoint of ``tools/train.py`` (``None``: random
            weights, for tests). Not needed by the onnxruntime backend.
        clean_ann_file: COCO file of clean images (X), e.g. ``clean_train.json``.
        num: Number of synthetic images.
        out_dir: Output folder (``images/`` + ``train.json``); must not exist
            unless ``overwrite``.
        backend: ``'pytorch'`` or ``'onnxruntime'``.
        seed: Seed of image order and box sampling.
        batch_size: Images per generator call.
        onnx_model: Exported inserter, for the onnxruntime backend.
        device: Torch device of the pytorch backend.
        overwrite: Replace an existing ``out_dir``.
        progress: Show a progress bar.

    Returns:
        The output folder.
    """
    if backend not in BACKENDS:
        raise ValueError(f'backend must be one of {BACKENDS}, got {backend!r}')
    cfg = Config.fromfile(config) if isinstance(config, (str, Path)) else config
    names, category_id = labelled_categories(cfg)
    sampler = build_box_sampler(box_sampler_cfg(cfg))
    inserter = build_inserter(cfg, checkpoint, backend, onnx_model, device)
    source = CleanImageSource(clean_ann_file, resize=gan_resize(cfg),
                              channels=getattr(inserter, 'in_channels', None))
    info = dict(description='mmdgan synthetic dataset (objects inserted by G_X)',
                method='gan', config=str(config) if isinstance(config, (str, Path))
                else getattr(cfg, 'filename', None), checkpoint=checkpoint,
                onnx_model=onnx_model, backend=backend, seed=seed,
                clean_ann_file=str(clean_ann_file), resize=source.resize)
    with SyntheticDatasetWriter(out_dir, names, info, overwrite) as writer:
        run_synthesis(source, sampler, _gan_insert_fn(inserter), num, writer, category_id,
                      np.random.default_rng(seed), batch_size, progress)
    return Path(out_dir)
