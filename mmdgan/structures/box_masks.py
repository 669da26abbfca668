"""Rasterise insertion/object boxes to masks: one rule for training and synthesis.

``G_X`` learns to paint inside the masks the data preprocessor draws; synthesis
(PyTorch or ONNX Runtime) must draw the same masks for the same boxes, or the
inserter paints into pixels it never learnt to fill. Both call
:func:`rasterize_boxes`.

The rule: pixel ``(r, c)`` spans ``[c, c + 1) x [r, r + 1)`` and belongs to a
box when its centre ``(c + 0.5, r + 0.5)`` does.

- ``'box'``: every pixel whose centre lies in ``[x1, x2) x [y1, y2)``.
- ``'ellipse'``: the pixels of ``'box'`` whose centre also lies in the ellipse
  inscribed in the box (closed). Lesions and nodules are round, and a square
  outline is a shortcut a detector can learn. Semi-axes shorter than half a
  pixel diagonal (``sqrt(1/2)``) are widened to it, so that the pixel holding
  the box centre is inside and a sliver box keeps its length.

Either way a box keeps at least one pixel: a box thinner than a pixel covers
the pixel holding its centre, and an ellipse always covers the pixel of its
box nearest the box centre. Parts of a box outside the image are clipped.
"""
import math
from typing import Mapping, Sequence, Tuple

import numpy as np
import torch

MASK_SHAPES = ('box', 'ellipse')
#: Smallest ellipse semi-axis in pixels: half a pixel's diagonal.
MIN_SEMI_AXIS = math.sqrt(0.5)


def check_mask_shape(shape: str, where: str = 'mask_shape') -> str:
    """Return ``shape`` if it is one of :data:`MASK_SHAPES`, else raise naming ``where``."""
    if shape not in MASK_SHAPES:
        raise ValueError(f'{where} must be one of {MASK_SHAPES}, got {shape!r}')
    return shape


def mask_shape_from_config(cfg: Mapping) -> str:
    """The mask shape a DetectorGAN config trains with.

    It is ``model.data_preprocessor.mask_shape`` (``UnpairedDataPreprocessor``),
    ``'box'`` when unset, so synthesis draws the masks training drew.
    """
    preprocessor = cfg.get('model', {}).get('data_preprocessor') or {}
    return check_mask_shape(preprocessor.get('mask_shape', 'box'),
                            'model.data_preprocessor.mask_shape')


def _pixel_span(lo: float, hi: float, size: int) -> Tuple[int, int]:
    """Pixels whose centre lies in ``[lo, hi)``, at least the one holding ``(lo + hi) / 2``."""
    start, stop = math.ceil(lo - 0.5), math.ceil(hi - 0.5)
    if stop <= start:
        start = math.floor((lo + hi) / 2)
        stop = start + 1
    return min(max(start, 0), size), min(max(stop, 0), size)


def rasterize_boxes(boxes, height: int, width: int, shape: str = 'box') -> np.ndarray:
    """Rasterise xyxy boxes of one image to a float32 ``(H, W)`` mask (1 inside).

    Args:
        boxes: ``(K, 4)`` xyxy boxes in the pixel frame (array-like, K may be 0).
        height, width: Mask size.
        shape: ``'box'`` or ``'ellipse'`` (see the module docstring).

    Returns:
        float32 ``(height, width)`` mask, the union of the boxes' shapes.
    """
    check_mask_shape(shape)
    mask = np.zeros((height, width), np.float32)
    for x1, y1, x2, y2 in np.asarray(boxes, np.float64).reshape(-1, 4):
        c0, c1 = _pixel_span(x1, x2, width)
        r0, r1 = _pixel_span(y1, y2, height)
        if c1 <= c0 or r1 <= r0:  # wholly outside the image
            continue
        if shape == 'box':
            mask[r0:r1, c0:c1] = 1.0
            continue
        cx, cy = (x1 + x2) / 2, (y1 + y2) / 2
        dx = (np.arange(c0, c1) + 0.5 - cx) / max((x2 - x1) / 2, MIN_SEMI_AXIS)
        dy = (np.arange(r0, r1) + 0.5 - cy) / max((y2 - y1) / 2, MIN_SEMI_AXIS)
        inside = dy[:, None]**2 + dx[None, :]**2 <= 1.0
        # A box whose centre is outside the image may leave the clipped
        # ellipse no pixel centre: keep the box pixel nearest that centre.
        inside[min(max(math.floor(cy), r0), r1 - 1) - r0,
               min(max(math.floor(cx), c0), c1 - 1) - c0] = True
        mask[r0:r1, c0:c1][inside] = 1.0
    return mask


def boxes_to_masks(boxes: Sequence, size: Tuple[int, int], shape: str = 'box') -> torch.Tensor:
    """Rasterise the boxes of a batch to float masks ``(B, 1, H, W)``.

    Args:
        boxes: Per image, a ``(K, 4)`` tensor / array or mmdet ``BaseBoxes``.
        size: ``(H, W)`` of the masks.
        shape: ``'box'`` or ``'ellipse'``.
    """
    h, w = size
    masks = []
    for img_boxes in boxes:
        img_boxes = getattr(img_boxes, 'tensor', img_boxes)  # mmdet HorizontalBoxes
        if isinstance(img_boxes, torch.Tensor):
            img_boxes = img_boxes.detach().cpu().double().numpy()
        masks.append(torch.from_numpy(rasterize_boxes(img_boxes, h, w, shape)))
    if not masks:
        return torch.zeros(0, 1, h, w)
    return torch.stack(masks)[:, None]


def rasterize_class_boxes(boxes, labels, num_classes: int, height: int, width: int,
                          shape: str = 'box') -> np.ndarray:
    """One mask channel per class: ``(num_classes, H, W)`` float32.

    Channel ``c`` shows the boxes of class ``c``. This is how a
    class-conditional inserter learns which object to draw in each box (see
    :class:`mmdgan.models.MaskedResnetGenerator`); the union over channels is
    the one-channel mask of :func:`rasterize_boxes`.

    Args:
        boxes: ``(K, 4)`` xyxy pixel boxes.
        labels: ``(K,)`` class indices in ``[0, num_classes)``.
        num_classes: Mask channels.
        height: Mask height.
        width: Mask width.
        shape: ``'box'`` or ``'ellipse'``.
    """
    boxes = np.asarray(boxes, np.float64).reshape(-1, 4)
    labels = np.asarray(labels, np.int64).reshape(-1)
    if len(labels) != len(boxes):
        raise ValueError(f'{len(boxes)} boxes but {len(labels)} labels')
    if len(labels) and (labels.min() < 0 or labels.max() >= num_classes):
        raise ValueError(f'box labels {sorted(set(labels.tolist()))} outside the '
                         f'{num_classes} classes of the inserter')
    out = np.zeros((num_classes, height, width), np.float32)
    for c in range(num_classes):
        if (labels == c).any():
            out[c] = rasterize_boxes(boxes[labels == c], height, width, shape)
    return out


def class_masks(mask: torch.Tensor, boxes: Sequence, labels: Sequence,
                num_classes: int) -> torch.Tensor:
    """Split rasterised masks ``(B, 1, H, W)`` into one channel per class.

    Channel ``c`` keeps the mask pixels inside the boxes of class ``c``, so
    the masks keep whatever shape (box, ellipse) they were drawn with.

    Args:
        mask: ``(B, 1, H, W)`` masks of ``boxes``.
        boxes: Per image, a ``(K, 4)`` tensor / array or mmdet ``BaseBoxes``.
        labels: Per image, the ``(K,)`` class indices.
        num_classes: Channels of the result.

    Returns:
        ``(B, num_classes, H, W)`` in ``mask``'s dtype and device.
    """
    h, w = mask.shape[-2:]
    split = []
    for img_boxes, img_labels in zip(boxes, labels):
        img_boxes = getattr(img_boxes, 'tensor', img_boxes)
        if isinstance(img_boxes, torch.Tensor):
            img_boxes = img_boxes.detach().cpu().double().numpy()
        if isinstance(img_labels, torch.Tensor):
            img_labels = img_labels.detach().cpu().numpy()
        split.append(torch.from_numpy(
            rasterize_class_boxes(img_boxes, img_labels, num_classes, h, w, 'box')))
    if len(split) != len(mask):
        raise ValueError(f'{len(mask)} masks but boxes of {len(split)} images')
    return mask * torch.stack(split).to(mask)
