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

from mmdgan.structures import mask_shape_from_config, rasterize_boxes, rasterize_class_boxes
from mmdgan.synthesis import (
    CleanImageSource,
    SyntheticDatasetWriter,
    box_sampler_cfg,
    build_box_sampler,
    gan_resize,
    labelled_categories,
    run_synthesis,
)
from mmdgan.utils import load_config

BACKENDS = ('pytorch', 'onnxruntime')


def build_inserter(config: Config, checkpoint: Optional[str], backend: str,
                   onnx_model: Optional[str] = None, device: str = 'cpu'):
    """The inserter of ``backend``; both share the ``TorchInserter`` call signature.

    An exported inserter must have been trained on the config's mask shape
    (recorded at export), since synthesis draws the config's masks.
    """
    if backend == 'pytorch':
        from mmdgan.synthesis.inserter import TorchInserter, load_generator
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
        inserter = OrtInserter(onnx_model)
        check_onnx_inserter(inserter, config, onnx_model)
        return inserter
    raise ValueError(f'backend must be one of {BACKENDS}, got {backend!r}')


def check_onnx_inserter(inserter, config: Config, onnx_model: str) -> None:
    """Refuse an export that is not this config's inserter, by its metadata.

    A remover (``G_Y``) has the same signature as the inserter: run by
    mistake it would write boxes around objects it removed.
    """
    if inserter.which != 'inserter':
        raise ValueError(f'{onnx_model}: metadata mmdgan.which={inserter.which!r}, synthesis '
                         "needs the inserter (export it with --which inserter)")
    expected = config.get('model', {}).get('generator_x', {}).get('in_channels')
    if expected is not None and int(expected) != inserter.in_channels:
        raise ValueError(f'{onnx_model}: metadata mmdgan.image_channels={inserter.in_channels}, '
                         f'the config\'s model.generator_x takes {expected}')
    mask_shape = mask_shape_from_config(config)
    if inserter.mask_shape != mask_shape:
        raise ValueError(f'{onnx_model} was exported for mask_shape='
                         f'{inserter.mask_shape!r}, the config trains with {mask_shape!r} '
                         '(model.data_preprocessor.mask_shape): export it from this config')


def _gan_insert_fn(inserter, mask_shape: str):
    """Wrap an inserter (float GAN range, NCHW) as a uint8 image-list insert function.

    The masks are drawn as ``mask_shape``, by the function the training data
    preprocessor uses; a class-conditional inserter gets one mask channel per
    class (``categories``: each box's COCO id, 1-based as the converters write).
    """
    num_classes = int(getattr(inserter, 'num_classes', 1))

    def insert(images: List[np.ndarray], boxes: List[np.ndarray],
               categories: Optional[List[np.ndarray]] = None) -> tuple:
        batch = np.stack([img if img.ndim == 3 else img[..., None] for img in images])
        batch = batch.transpose(0, 3, 1, 2).astype(np.float32) / 127.5 - 1.0
        h, w = batch.shape[2:]
        if num_classes > 1:
            if categories is None:
                raise ValueError(f'the inserter is conditioned on {num_classes} classes but '
                                 'the boxes carry none')
            masks = np.stack([rasterize_class_boxes(b, np.asarray(c) - 1, num_classes, h, w,
                                                    mask_shape)
                              for b, c in zip(boxes, categories)])
        else:
            masks = np.stack([rasterize_boxes(b, h, w, mask_shape)[None] for b in boxes])
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
               progress: bool = True,
               allow_outside_root: bool = False,
               clean_img_root: Optional[str] = None) -> Path:
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
        allow_outside_root: Read clean images whose ``file_name`` leaves
            ``clean_ann_file``'s folder (refused otherwise).
        clean_img_root: Folder ``clean_ann_file``'s ``file_name`` entries are
            relative to (default: its own folder), e.g. ``data_root`` +
            ``data_prefix.img`` of a COCO dataset that keeps its images apart.

    Returns:
        The output folder.
    """
    if backend not in BACKENDS:
        raise ValueError(f'backend must be one of {BACKENDS}, got {backend!r}')
    cfg = load_config(str(config)) if isinstance(config, (str, Path)) else config
    names, category_id = labelled_categories(cfg)
    if cfg.train_dataloader.dataset.get('target_class') is None and len(names) > 1:
        # Several classes: each box keeps the class the sampler drew it from.
        category_id = None
    sampler = build_box_sampler(box_sampler_cfg(cfg))
    mask_shape = mask_shape_from_config(cfg)
    inserter = build_inserter(cfg, checkpoint, backend, onnx_model, device)
    source = CleanImageSource(clean_ann_file, resize=gan_resize(cfg),
                              channels=getattr(inserter, 'in_channels', None),
                              allow_outside_root=allow_outside_root, img_root=clean_img_root)
    info = dict(description='mmdgan synthetic dataset (objects inserted by G_X)',
                method='gan', config=str(config) if isinstance(config, (str, Path))
                else getattr(cfg, 'filename', None), checkpoint=checkpoint,
                onnx_model=onnx_model, backend=backend, seed=seed,
                clean_ann_file=str(clean_ann_file), resize=source.resize,
                mask_shape=mask_shape)
    with SyntheticDatasetWriter(out_dir, names, info, overwrite) as writer:
        run_synthesis(source, sampler, _gan_insert_fn(inserter, mask_shape), num, writer,
                      category_id, np.random.default_rng(seed), batch_size, progress)
    return Path(out_dir)
