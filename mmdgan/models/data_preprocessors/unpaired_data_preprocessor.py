"""Batch the clean and labelled branches of ``UnpairedDetDataset`` for the GAN."""
import math
from typing import Dict, List, Union

import torch
import torch.nn.functional as F
from mmengine.model import BaseDataPreprocessor

from mmdgan.registry import MODELS
from mmdgan.structures import boxes_to_masks, check_mask_shape

BRANCHES = ('clean', 'labelled')


@MODELS.register_module()
class UnpairedDataPreprocessor(BaseDataPreprocessor):
    """Stack, pad and scale both branches to the GAN range; rasterise box masks.

    Args:
        pad_size_divisor: Pad each batch so that H and W are multiples of it.
        pad_value: Pad value in uint8 grey levels (0 = black, i.e. -1 in GAN range).
        non_blocking: Copy to the device without blocking.
        mask_shape: ``'box'`` or ``'ellipse'`` (inscribed in the box): how
            boxes become masks (:func:`mmdgan.structures.rasterize_boxes`;
            synthesis reads this setting from the same config).
    """

    def __init__(self, pad_size_divisor: int = 1, pad_value: float = 0.0,
                 non_blocking: bool = False, mask_shape: str = 'box') -> None:
        super().__init__(non_blocking=non_blocking)
        if pad_size_divisor < 1:
            raise ValueError(f'pad_size_divisor must be >= 1, got {pad_size_divisor}')
        self.pad_size_divisor = pad_size_divisor
        self.pad_value = pad_value
        self.mask_shape = check_mask_shape(mask_shape, 'UnpairedDataPreprocessor.mask_shape')

    def _branch(self, inputs: List[torch.Tensor], data_samples: list) -> dict:
        if not inputs:
            raise ValueError('UnpairedDataPreprocessor: empty batch')
        channels = {img.shape[0] for img in inputs}
        if len(channels) > 1:
            raise ValueError(f'UnpairedDataPreprocessor: mixed channel counts {channels} in '
                             f'one batch')
        div = self.pad_size_divisor
        h = math.ceil(max(img.shape[1] for img in inputs) / div) * div
        w = math.ceil(max(img.shape[2] for img in inputs) / div) * div
        batch = torch.stack([
            F.pad(img.float(), (0, w - img.shape[2], 0, h - img.shape[1]), value=self.pad_value)
            for img in inputs])
        for img, sample in zip(inputs, data_samples):
            sample.set_metainfo(dict(
                batch_input_shape=(h, w),
                pad_shape=(math.ceil(img.shape[1] / div) * div,
                           math.ceil(img.shape[2] / div) * div)))
        masks = boxes_to_masks([s.gt_instances.bboxes for s in data_samples], (h, w),
                               self.mask_shape)
        return dict(inputs=batch / 127.5 - 1.0, masks=masks, data_samples=data_samples)

    def forward(self, data: Union[dict, list], training: bool = False) -> Dict[str, dict]:
        """Batch ``dict(clean=..., labelled=...)`` as collated by ``pseudo_collate``.

        Args:
            data: ``{branch: {'inputs': [uint8 (C, H, W)], 'data_samples': [...]}}``,
                or the uncollated list of per-sample dicts.
            training: Unused; kept for the mmengine interface.

        Returns:
            ``{branch: dict(inputs=float (B, C, H, W) in [-1, 1], masks=float
            (B, 1, H, W), data_samples=[DetDataSample])}`` on the device.
        """
        if isinstance(data, (list, tuple)):
            data = {b: dict(inputs=[d[b]['inputs'] for d in data],
                            data_samples=[d[b]['data_samples'] for d in data])
                    for b in BRANCHES}
        missing = [b for b in BRANCHES if b not in data]
        if missing:
            raise KeyError(f'UnpairedDataPreprocessor: batch lacks branch(es) {missing}; '
                           f'got {list(data)}')
        out = {}
        for branch in BRANCHES:
            inputs = data[branch]['inputs']
            if isinstance(inputs, torch.Tensor):
                inputs = list(inputs)
            out[branch] = self._branch(inputs, list(data[branch]['data_samples']))
        return self.cast_data(out)
