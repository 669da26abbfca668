"""Draw insertion boxes on a loaded clean image, as if they were its ground truth."""
from typing import Dict, Optional

import numpy as np
from mmcv.transforms import BaseTransform
from mmdet.structures.bbox import HorizontalBoxes

from mmdgan.registry import TASK_UTILS, TRANSFORMS


@TRANSFORMS.register_module()
class SampleInsertionBoxes(BaseTransform):
    """Sample K insertion boxes and store them as ``gt_bboxes``.

    Placed right after image loading, so that Resize / RandomFlip move the
    boxes together with the image. Randomness comes from
    ``results['insertion_seed']`` (any numpy seed entropy) when the dataset
    provides it, else from a generator owned by the transform.

    Args:
        sampler: A built box sampler (e.g. ``BoxPriorSampler``) or its config.
        label: Class index given to every inserted box.
        seed: Seed of the fallback generator.
        cat2label: COCO category id -> class index. When given, each box
            takes the class of the prior box its size was drawn from (several
            classes, drawn with Y's class frequencies) instead of ``label``.
    """

    def __init__(self, sampler, label: int = 0, seed: Optional[int] = None,
                 cat2label: Optional[Dict[int, int]] = None) -> None:
        self.sampler = TASK_UTILS.build(sampler) if isinstance(sampler, dict) else sampler
        self.label = int(label)
        self.cat2label = None if cat2label is None else {int(k): int(v)
                                                          for k, v in cat2label.items()}
        self._rng = np.random.default_rng(seed)

    def transform(self, results: dict) -> dict:
        seed = results.get('insertion_seed')
        rng = np.random.default_rng(seed) if seed is not None else self._rng
        img = results['img']
        mask = None
        if getattr(self.sampler, 'region', None) == 'mask':
            mask = self.sampler.load_mask(results['img_path'])
        if self.cat2label is None:
            boxes = self.sampler.sample(img, rng, mask=mask)
            labels = np.full(len(boxes), self.label, np.int64)
        else:
            boxes, cats = self.sampler.sample(img, rng, mask=mask, return_categories=True)
            labels = np.asarray([self.cat2label[int(c)] for c in cats], np.int64)
        results['gt_bboxes'] = HorizontalBoxes(boxes)
        results['gt_bboxes_labels'] = labels
        results['gt_ignore_flags'] = np.zeros(len(boxes), bool)
        return results

    def __repr__(self) -> str:
        label = self.label if self.cat2label is None else 'per box'
        return f'{type(self).__name__}(sampler={self.sampler!r}, label={label})'
