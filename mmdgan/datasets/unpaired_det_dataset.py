"""Unpaired clean (X) / labelled (Y) detection dataset for DetectorGAN."""
import copy
import os
import warnings
from collections import Counter
from typing import Optional, Sequence

import numpy as np
import torch
from mmdet.datasets import CocoDataset
from mmengine.logging import print_log
from torch.utils.data import Dataset

from mmdgan.fileio import image_path, is_ignored, load_coco
from mmdgan.registry import DATASETS, TASK_UTILS

from .transforms import SampleInsertionBoxes

#: Transforms after which the insertion boxes are sampled (the image is loaded).
_LOADERS = ('LoadImageFromFile', 'mmdet.LoadImageFromFile', 'mmcv.LoadImageFromFile')


def _load_checked(ann_file: str, which: str, need_boxes: bool, image_root: str,
                  allow_outside_root: bool) -> dict:
    """Load a COCO file and fail early, naming the set, if it is missing or empty
    or names an image outside ``image_root`` (unless ``allow_outside_root``)."""
    coco = load_coco(ann_file, f'UnpairedDetDataset: {which} annotation file', keys=('images',),
                     check_annotations=True)
    images = coco['images']
    for image in images:
        image_path(image_root, image['file_name'], ann_file, allow_outside_root, coco)
    if need_boxes:
        with_boxes = {a['image_id'] for a in coco.get('annotations', []) if not is_ignored(a)}
        images = [i for i in images if i['id'] in with_boxes]
    if not images:
        raise ValueError(f'UnpairedDetDataset: the {which} set is empty: {ann_file} has no '
                         + ('image with a box that is not ignored (iscrowd=0)' if need_boxes
                            else 'image'))
    return coco


def _warn_bad_boxes(coco: dict, ann_file: str) -> None:
    """Warn once per file about boxes mmdet would drop without a word.

    A box with no area, or entirely outside its image, trains nothing; the
    converters count and drop them, but a hand-made file may hold some. A
    file in which every box is such is refused (``ValueError``). Ignored
    boxes (``iscrowd=1``) train nothing by design and are not looked at.
    """
    sizes = {img['id']: (img.get('width'), img.get('height')) for img in coco['images']}
    bad = []
    anns = [a for a in coco.get('annotations', []) if not is_ignored(a)]
    for ann in anns:
        x, y, w, h = ann['bbox']
        width, height = sizes.get(ann['image_id'], (None, None))
        outside = (width is not None and height is not None
                   and (x >= width or y >= height or x + w <= 0 or y + h <= 0))
        if w <= 0 or h <= 0 or outside:
            bad.append(f'{ann.get("id")} ({"outside the image" if outside else "no area"})')
    if bad and len(bad) == len(anns):
        # Training would go on with no object to learn from (issue 34.8).
        raise ValueError(f'UnpairedDetDataset: {ann_file}: every box ({len(bad)}) trains '
                         f'nothing (outside its image or no area), e.g. annotation '
                         f'{bad[0]}')
    if bad:
        warnings.warn(f'UnpairedDetDataset: {ann_file}: {len(bad)} box(es) train nothing and '
                      f'are ignored, annotation id(s) {", ".join(bad[:10])}'
                      f'{", ..." if len(bad) > 10 else ""}', stacklevel=3)


def _drop_ignored_only(dataset: CocoDataset, ann_file: str) -> None:
    """Leave Y images whose boxes are all ignored (``iscrowd=1``: VOC's
    difficult objects) out of the labelled set, saying how many.

    mmdet keeps them (for a detector they are background with ignore
    regions), but DetectorGAN's Y stands for real objects: such an image has
    none to learn from or to remove.
    """
    keep = [i for i in range(len(dataset))
            if any(not inst.get('ignore_flag', 0)
                   for inst in dataset.get_data_info(i)['instances'])]
    if len(keep) < len(dataset):
        print_log(f'UnpairedDetDataset: {len(dataset) - len(keep)} of {len(dataset)} labelled '
                  f'image(s) of {ann_file} hold only ignored boxes (iscrowd=1) and are not '
                  'used as Y', logger='current')
        dataset.get_subset_(keep)


def _with_box_sampling(pipeline: Sequence, transform: SampleInsertionBoxes) -> list:
    """Insert the box sampling right after the image loader of a clean pipeline."""
    pipeline = list(pipeline)
    types = [t.get('type') if isinstance(t, dict) else type(t).__name__ for t in pipeline]
    if 'SampleInsertionBoxes' in types:
        return pipeline
    for i, name in enumerate(types):
        if name in _LOADERS:
            return pipeline[:i + 1] + [transform] + pipeline[i + 1:]
    raise ValueError('UnpairedDetDataset: clean_pipeline has no LoadImageFromFile to sample '
                     'the insertion boxes after')


@DATASETS.register_module()
class UnpairedDetDataset(Dataset):
    """Pairs of independently drawn clean and labelled images.

    Each item is ``dict(clean=packed, labelled=packed)``; ``packed`` is the
    output of ``PackDetInputs``. Clean samples carry K insertion boxes from
    ``box_sampler`` as ``gt_instances`` (label: ``target_class``), sampled on
    the loaded image so that later geometric transforms move them with it.

    The length is ``max(len(X), len(Y))``; item ``i`` uses clean image
    ``i % len(X)`` and a labelled image chosen by a seeded shuffle of Y per
    cycle, so both sets are fully visited. Box sampling is seeded by
    ``(seed, i, torch.initial_seed(), visit count)``: reproducible for a fixed
    seed, different across epochs (DataLoader workers are reseeded per
    epoch; persistent workers count visits).

    Args:
        data_root: Dataset folder; relative paths are resolved against it.
        clean_ann_file: X COCO file (no annotations needed).
        labelled_ann_file: Y COCO file with boxes.
        clean_pipeline: Pipeline of X (load, resize, flip, pack).
        labelled_pipeline: Pipeline of Y (load, annotations, resize, flip, pack).
        box_sampler: Config of the insertion-box sampler (TASK_UTILS); a
            relative ``ann_file`` in it is resolved against ``data_root``.
        target_class: Y category given to every inserted box, whose sizes then
            come from that category's boxes only. ``None``: every category of
            Y; each inserted box takes the category of the Y box its size was
            drawn from, so classes come with Y's frequencies (one-class data:
            the same boxes either way).
        data_prefix: Image prefix inside ``data_root`` (``file_name`` is relative to it).
        clean_data_prefix: Image prefix of the clean file, where it differs
            from Y's (a COCO dataset with its images in one folder per part,
            or clean context crops beside such a dataset); default ``data_prefix``.
        seed: Seed of the pairing and the box sampling.
        test_mode: Passed to the inner datasets.
        allow_outside_root: Read images whose ``file_name`` is absolute or
            leaves the dataset folder (``../``); refused by default, since a
            stray entry would silently train on files from elsewhere.
    """

    def __init__(self, data_root: str, clean_ann_file: str, labelled_ann_file: str,
                 clean_pipeline: Sequence[dict], labelled_pipeline: Sequence[dict],
                 box_sampler: dict, target_class: Optional[str] = None,
                 data_prefix: dict = dict(img=''), seed: int = 0,
                 test_mode: bool = False, allow_outside_root: bool = False,
                 clean_data_prefix: Optional[dict] = None) -> None:
        self.data_root = data_root
        self.seed = int(seed)
        labelled_path = os.path.join(data_root, labelled_ann_file)
        clean_path = os.path.join(data_root, clean_ann_file)
        clean_data_prefix = dict(data_prefix if clean_data_prefix is None else clean_data_prefix)
        image_root = os.path.join(data_root, dict(data_prefix).get('img', ''))
        clean_root = os.path.join(data_root, clean_data_prefix.get('img', ''))
        coco_y = _load_checked(labelled_path, 'labelled (Y)', True, image_root, allow_outside_root)
        _warn_bad_boxes(coco_y, labelled_path)
        _load_checked(clean_path, 'clean (X)', False, clean_root, allow_outside_root)
        classes = [c['name'] for c in sorted(coco_y.get('categories', []), key=lambda c: c['id'])]
        if not classes:
            raise ValueError(f'UnpairedDetDataset: {labelled_path} has no categories')
        if target_class is not None and target_class not in classes:
            raise ValueError(f'UnpairedDetDataset: target_class {target_class!r} is not a '
                             f'category of {labelled_path} ({classes})')
        self.target_class = target_class
        sampler_cfg = copy.deepcopy(dict(box_sampler))
        sampler_cfg.setdefault('data_root', data_root)
        if target_class is not None and len(classes) > 1:
            sampler_cfg.setdefault('classes', [target_class])
        self.box_sampler = TASK_UTILS.build(sampler_cfg)
        metainfo = dict(classes=tuple(classes))
        self.labelled = CocoDataset(
            data_root=data_root, ann_file=labelled_ann_file, data_prefix=dict(data_prefix),
            metainfo=metainfo, filter_cfg=dict(filter_empty_gt=True),
            pipeline=list(labelled_pipeline), test_mode=test_mode)
        _drop_ignored_only(self.labelled, labelled_path)
        if target_class is None and len(classes) > 1:
            # mmdet's own category id -> label map, so that inserted boxes and
            # Y's boxes of one class carry the same label.
            sample_boxes = SampleInsertionBoxes(self.box_sampler,
                                                cat2label=dict(self.labelled.cat2label))
        else:
            sample_boxes = SampleInsertionBoxes(
                self.box_sampler, label=classes.index(target_class or classes[0]))
        self.clean = CocoDataset(
            data_root=data_root, ann_file=clean_ann_file, data_prefix=clean_data_prefix,
            metainfo=metainfo, filter_cfg=None,
            pipeline=_with_box_sampling(clean_pipeline, sample_boxes), test_mode=test_mode)
        self._visits: Counter = Counter()
        self._channels: Optional[int] = None

    @property
    def metainfo(self) -> dict:
        """Y's meta information (``classes``), as mmengine datasets expose it."""
        return copy.deepcopy(self.labelled.metainfo)

    def __len__(self) -> int:
        return max(len(self.clean), len(self.labelled))

    def labelled_index(self, idx: int) -> int:
        """Index into Y of item ``idx``: a seeded permutation of Y per cycle."""
        n = len(self.labelled)
        cycle, pos = divmod(idx, n)
        return int(np.random.default_rng([self.seed, cycle]).permutation(n)[pos])

    def _prepare(self, ds: CocoDataset, idx: int, which: str, extra: dict) -> dict:
        info = ds.get_data_info(idx)
        info.update(extra)
        path = info['img_path']
        if not os.path.isfile(path):
            raise FileNotFoundError(f'UnpairedDetDataset: {which} image not found: {path}')
        try:
            packed = ds.pipeline(info)
        except Exception as err:
            raise ValueError(f'UnpairedDetDataset: failed to load/transform {which} image '
                             f'{path}: {type(err).__name__}: {err}') from err
        # A stray RGB file in a grayscale set would otherwise fail in the batch
        # collation, far from the file.
        channels = int(packed['inputs'].shape[0])
        if self._channels is None:
            self._channels = channels
        elif channels != self._channels:
            raise ValueError(f'UnpairedDetDataset: {which} image {path} has {channels} '
                             f'channel(s), the images before it have {self._channels}')
        return packed

    def __getitem__(self, idx: int) -> dict:
        if not 0 <= idx < len(self):
            raise IndexError(f'index {idx} out of range for {len(self)} items')
        visit = self._visits[idx]
        self._visits[idx] += 1
        entropy = [self.seed, int(idx), torch.initial_seed() % 2**63, visit]
        clean = self._prepare(self.clean, idx % len(self.clean), 'clean',
                              dict(insertion_seed=entropy))
        labelled = self._prepare(self.labelled, self.labelled_index(idx), 'labelled', {})
        return dict(clean=clean, labelled=labelled)

    def __repr__(self) -> str:
        return (f'{type(self).__name__}(X={len(self.clean)} images, '
                f'Y={len(self.labelled)} images, classes={self.metainfo["classes"]}, '
                f'target_class={self.target_class!r}, sampler={self.box_sampler!r})')
