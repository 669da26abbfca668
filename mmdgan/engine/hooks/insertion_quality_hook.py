"""Track insertion quality (kernel and Fréchet distances of crops) while the GAN trains."""
import copy
import json
import os
import os.path as osp
import random
from contextlib import contextmanager
from typing import Dict, Iterator, List, Optional, Tuple

import numpy as np
import torch
from mmengine.dataset import pseudo_collate
from mmengine.hooks import Hook
from mmengine.model import is_model_wrapper

from mmdgan.evaluation.insertion_quality import CropEmbedder, coco_crops, set_distances
from mmdgan.fileio import write_json_atomic
from mmdgan.fileio.dataset_folder import part_of
from mmdgan.fileio.dataset_meta import folder_files
from mmdgan.models.detector_gan import sample_boxes
from mmdgan.registry import DATASETS, HOOKS


@contextmanager
def fixed_random_state(seed: int) -> Iterator[None]:
    """Run with every RNG seeded by ``seed``, then restore them exactly, so that
    the training run draws the same random numbers as without the hook."""
    torch_seed, torch_state = torch.initial_seed(), torch.get_rng_state()
    np_state, py_state = np.random.get_state(), random.getstate()
    torch.manual_seed(seed)
    np.random.seed(seed)
    random.seed(seed)
    try:
        yield
    finally:
        torch.manual_seed(torch_seed)  # initial_seed() keys the dataset's box sampling
        torch.set_rng_state(torch_state)
        np.random.set_state(np_state)
        random.setstate(py_state)


@HOOKS.register_module()
class InsertionQualityHook(Hook):
    """Distances of G_X's insertions to real object crops, during training.

    A fixed set of held-out clean images with fixed insertion boxes (drawn
    once, with the training dataset's box sampler and pipeline) is passed
    through G_X every ``interval`` iterations; the inserted crops are embedded
    by the ImageNet EfficientNet-Lite0 (:class:`CropEmbedder`) and compared
    with the crops of the real objects of ``real_ann_file`` by the kernel
    distance (the headline: unbiased at small set sizes) and the Fréchet
    distance (:mod:`mmdgan.evaluation.insertion_quality`). The clean crops at
    the same boxes (no insertion) give the reference point, computed once.
    Each value goes to the log, to the visualizer's backends as scalars and
    to ``work_dir/<out_file>`` (the curve, kept across resumes).

    Both COCO files are found as the datasets find theirs: a part of the
    training folder (a contract name such as ``clean_val.json``, or the
    layout's own ``ann_file``) is read with its images where the folder's
    layout puts them (the config's ``dataset_files``, else the layout its
    ``meta.json`` records); any other file, relative to ``data_root``, takes
    the training dataset's image prefix (``data_prefix``, for the clean set
    ``clean_data_prefix``).

    Args:
        interval: Evaluate every this many iterations (and after the last).
        clean_ann_file: Clean COCO file of the fixed set, relative to the
            training dataset's ``data_root`` (held-out films by default).
        real_ann_file: COCO file of the real objects, same root.
        num_images: Size of the fixed clean set (at most the file's images).
        batch_size: Images per generator forward.
        seed: Seed of the fixed set's boxes and augmentations.
        embedder: Keyword arguments of :class:`CropEmbedder`.
        out_file: Curve file, relative to the work dir.
    """

    priority = 'LOW'

    def __init__(self, interval: int = 250, clean_ann_file: str = 'clean_val.json',
                 real_ann_file: str = 'train.json', num_images: int = 64,
                 batch_size: int = 8, seed: int = 0, embedder: Optional[dict] = None,
                 out_file: str = 'insertion_quality.json') -> None:
        if interval < 1 or num_images < 2 or batch_size < 1:
            raise ValueError('InsertionQualityHook: interval and batch_size must be >= 1, '
                             f'num_images >= 2; got {interval}, {batch_size}, {num_images}')
        self.interval = interval
        self.clean_ann_file = clean_ann_file
        self.real_ann_file = real_ann_file
        self.num_images = num_images
        self.batch_size = batch_size
        self.seed = seed
        self.embedder_cfg = dict(embedder or {})
        self.out_file = out_file
        self.curve: List[dict] = []

    # ------------------------------------------------------------ the fixed set
    @staticmethod
    def locate(cfg, ann_file: str, prefix: str) -> Tuple[str, str]:
        """``(COCO file, image prefix)`` of ``ann_file`` relative to the training
        dataset's ``data_root`` (see the class docstring); ``prefix``: the training
        dataset's own, for a file that is no part of the folder."""
        dataset = cfg.train_dataloader.dataset
        files = folder_files(dataset.get('data_root') or '.', cfg.get('dataset_files'))
        part = part_of(files, ann_file)
        if part is None:
            return ann_file, prefix
        return files[part]['ann_file'], files[part]['data_prefix']['img']

    def _fixed_batches(self, runner) -> List[dict]:
        cfg = copy.deepcopy(runner.cfg.train_dataloader.dataset)
        own = dict(cfg.get('clean_data_prefix') or cfg.get('data_prefix') or {})
        ann_file, prefix = self.locate(runner.cfg, self.clean_ann_file, own.get('img', ''))
        cfg['clean_ann_file'], cfg['clean_data_prefix'] = ann_file, dict(img=prefix)
        dataset = DATASETS.build(cfg)
        count = min(self.num_images, len(dataset.clean))
        with fixed_random_state(self.seed):
            items = [dataset[i] for i in range(count)]
        return [pseudo_collate(items[i:i + self.batch_size])
                for i in range(0, count, self.batch_size)]

    def before_train(self, runner) -> None:
        self.embedder = CropEmbedder(**self.embedder_cfg)
        self.batches = self._fixed_batches(runner)
        dataset = runner.cfg.train_dataloader.dataset
        data_root = dataset.get('data_root', '')
        frame = max(self.batches[0]['clean']['inputs'][0].shape[1:])
        ann_file, prefix = self.locate(runner.cfg, self.real_ann_file,
                                       dict(dataset.get('data_prefix') or {}).get('img', ''))
        self.real = self.embedder(*coco_crops(osp.join(data_root, ann_file), frame,
                                              img_root=osp.join(data_root, prefix)))
        clean = [img for b in self.batches for img in b['clean']['inputs']]
        boxes = [box for b in self.batches for box in sample_boxes(b['clean']['data_samples'])]
        self.num_inserted = sum(len(b) for b in boxes)
        self.clean_distances = set_distances(self.real, self.embedder(clean, boxes))
        path = self._path(runner)
        if osp.isfile(path):  # resumed: keep the curve so far
            with open(path) as f:
                self.curve = [p for p in json.load(f)['curve'] if p['iter'] <= runner.iter]
        runner.logger.info(f'InsertionQualityHook: {len(clean)} clean images, '
                           f'{len(self.real)} real crops; clean crops (no insertion): '
                           f'{self._describe(self.clean_distances)}')

    # --------------------------------------------------------------- evaluate
    @torch.no_grad()
    def evaluate(self, model) -> Dict[str, float]:
        """Distances of the current inserter's insertions on the fixed set, by name.

        With a moving average of G_X (``inserter_ema``) the distances are the
        average's, and ``raw_kernel`` / ``raw_frechet`` those of G_X itself.
        """
        distances = self._distances(model, averaged=True)
        if getattr(model, 'inserter_ema', None) is not None:
            raw = self._distances(model, averaged=False)
            distances.update({f'raw_{name}': value for name, value in raw.items()})
        return distances

    def _distances(self, model, averaged: bool) -> Dict[str, float]:
        was_training = model.training
        model.eval()
        try:
            inserted, boxes = [], []
            for batch in self.batches:
                images, batch_boxes = model.insert_objects(batch, averaged=averaged)
                inserted += [(img.float().cpu() + 1) * 127.5 for img in images]
                boxes += batch_boxes
        finally:
            model.train(was_training)
        return set_distances(self.real, self.embedder(inserted, boxes))

    @staticmethod
    def _describe(distances: Dict[str, float]) -> str:
        error = (f' ± {1e3 * distances["kernel_se"]:.2f}e-3 (s.e.)'
                 if 'kernel_se' in distances else '')
        return (f'kernel distance {1e3 * distances["kernel"]:.2f}e-3{error}, '
                f'Fréchet distance {distances["frechet"]:.2f}')

    def _path(self, runner) -> str:
        return self.out_file if osp.isabs(self.out_file) else osp.join(runner.work_dir,
                                                                        self.out_file)

    def after_train_iter(self, runner, batch_idx: int, data_batch: Optional[dict] = None,
                         outputs: Optional[dict] = None) -> None:
        if not (self.every_n_train_iters(runner, self.interval) or self.is_last_train_iter(runner)):
            return
        if runner.rank != 0:
            return
        model = runner.model.module if is_model_wrapper(runner.model) else runner.model
        distances = self.evaluate(model)
        step = runner.iter + 1
        self.curve.append(dict(iter=step, **distances))
        scalars = {f'insertion/{name}': value for name, value in distances.items()}
        scalars.update({f'insertion/{name}_clean': value
                        for name, value in self.clean_distances.items()})
        runner.visualizer.add_scalars(scalars, step=step)
        ratio = distances['kernel'] / max(self.clean_distances['kernel'], 1e-12)
        runner.logger.info(f'InsertionQualityHook: iter {step}: inserted crops: '
                           f'{self._describe(distances)}; clean crops: '
                           f'{self._describe(self.clean_distances)}; kernel-distance ratio '
                           f'inserted / clean {ratio:.3f}'
                           + ('' if 'raw_kernel' not in distances else
                              f' (moving average; G_X itself: kernel distance '
                              f'{1e3 * distances["raw_kernel"]:.2f}e-3, Fréchet distance '
                              f'{distances["raw_frechet"]:.2f})'))
        path = self._path(runner)
        os.makedirs(osp.dirname(path), exist_ok=True)
        write_json_atomic(dict(clean=self.clean_distances, num_real=len(self.real),
                               num_inserted=self.num_inserted,
                               embedder=self.embedder_cfg, curve=self.curve), path)
