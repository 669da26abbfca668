"""Batch the clean and labelled branches of ``UnpairedDetDataset`` for the GAN."""
import math
from typing import Dict, List, Sequence, Tuple, Union

import torch
import torch.nn.functional as F
from mmengine.model import BaseDataPreprocessor

from mmdgan.registry import MODELS

BRANCHES = ('clean', 'labelled')


def boxes_to_masks(boxes: Sequence[torch.Tensor], shape: Tuple[int, int]) -> torch.Tensor:
    """Rasterise xyxy boxes to float masks ``(B, 1, H, W)``.

    A pixel is inside when its centre is inside the box (pixel ``j`` spans
    ``[j, j + 1)``); a box thinner than one pixel still covers the pixel
    holding its centre, so no box is lost.

    Args:
        boxes: Per image, a ``(K, 4)`` tensor or mmdet ``BaseBoxes`` (K may be 0).
        shape: ``(H, W)`` of the masks.
    """
    h, w = shape
    masks = torch.zeros(len(boxes), 1, h, w)
    for i, img_boxes in enumerate(boxes):
        img_boxes = getattr(img_boxes, 'tensor', img_boxes)  # mmdet HorizontalBoxes
        for x1, y1, x2, y2 in img_boxes.detach().cpu().tolist():
            c0, c1 = _pixel_span(x1, x2, w)
            r0, r1 = _pixel_span(y1, y2, h)
            masks[i, 0, r0:r1, c0:c1] = 1
    return masks


def _pixel_span(lo: float, hi: float, size: int) -> Tuple[int, int]:
    """Pixels whose centre lies in ``[lo, hi)``, at least the one holding the box centre."""
    start, stop = math.ceil(lo - 0.5), math.ceil(hi - 0.5)
    if stop <= start:
        start = math.floor((lo + hi) / 2)
        stop = start + 1
    return min(max(start, 0), size), min(max(stop, 0), size)


@MODELS.register_module()
class UnpairedDataPreprocessor(BaseDataPreprocessor):
    """Stack, pad and scale both branches to the GAN range; rasterise box masks.

    Args:
        pad_size_divisor: Pad each batch so that H and W are multiples of it.
        pad_value: Pad value in uint8 grey levels (0 = black, i.e. -1 in GAN range).
        non_blocking: Copy to the device without blocking.
    """

    def __init__(self, pad_size_divisor: int = 1, pad_value: float = 0.0,
                 non_blocking: bool = False) -> None:
        super().__init__(non_blocking=non_blocking)
        if pad_size_divisor < 1:
            raise ValueError(f'pad_size_divisor must be >= 1, got {pad_size_divisor}')
        self.pad_size_divisor = pad_size_divisor
        self.pad_value = pad_value

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
        masks = boxes_to_masks([s.gt_instances.bboxes for s in data_samples], (h, w))
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
