"""Square context windows around boxes: crop, resize, generate, paste back.

One implementation for training (``LocalCropInserter``), the local
discriminator's crops and the deployed inserters (PyTorch and ONNX Runtime),
so every backend edits the same pixels the same way.

A window is an integer square ``(batch_index, x0, y0, side)`` centred on the
pixels a box touches (``floor(x1) .. ceil(x2)``), ``context`` times the box's
longer side and never shifted to fit the image: the part outside the image is
filled by replicating the border pixels, and only the part inside is pasted.
"""
import math
from typing import Callable, List, Optional, Sequence, Tuple

import numpy as np
import torch
import torch.nn.functional as F

#: ``generate(crops, crop_masks) -> raw generated crops`` (same shape as crops).
GenerateFn = Callable[[torch.Tensor, torch.Tensor], torch.Tensor]
#: ``blend(masks) -> per-pixel weight of the generated pixels`` (full resolution).
BlendFn = Callable[[torch.Tensor], torch.Tensor]


def _box_tensor(boxes) -> torch.Tensor:
    boxes = getattr(boxes, 'tensor', boxes)  # mmdet HorizontalBoxes
    boxes = torch.as_tensor(boxes)
    if boxes.dim() != 2 or boxes.shape[1] != 4:
        raise ValueError(f'boxes must be (K, 4) xyxy, got {tuple(boxes.shape)}')
    return boxes


def as_box_tensors(boxes: Optional[Sequence], batch: int, source: str) -> List[torch.Tensor]:
    """Per-image ``(K, 4)`` float tensors; a clear error unless one list per image."""
    if boxes is None:
        raise ValueError(f'{source} is a local-crop inserter: pass the boxes (one (K, 4) '
                         'array per image) with the masks')
    if len(boxes) != batch:
        raise ValueError(f'{len(boxes)} box arrays for {batch} images')
    out = []
    for i, img_boxes in enumerate(boxes):
        tensor = torch.as_tensor(np.asarray(img_boxes, np.float32)).reshape(-1, 4)
        out.append(tensor)
        if not torch.isfinite(tensor).all():
            raise ValueError(f'boxes[{i}] holds non-finite coordinates')
    return out


def _touched_span(lo: float, hi: float) -> Tuple[int, int]:
    """Pixels ``[start, stop)`` a box side touches (at least one)."""
    start = math.floor(lo)
    return start, max(math.ceil(hi), start + 1)


def context_windows(boxes: Sequence, context: float, min_side: int = 1,
                    margin: int = 0) -> List[Tuple[int, int, int, int, Tuple[int, ...]]]:
    """Square integer windows around every box of every image.

    Args:
        boxes: Per image, ``(K_i, 4)`` xyxy pixel boxes (tensor, array or
            mmdet boxes; ``K_i`` may be 0).
        context: Window side as a multiple of the box's longer side (>= 1).
        min_side: Smallest window side in pixels.
        margin: Pixels the window keeps on every side of the box at least
            (e.g. the feather radius, so the soft edge is never cut).

    Returns:
        ``(batch_index, x0, y0, side, box_span)`` per box, in image order;
        ``box_span = (bx0, by0, bx1, by1)`` are the pixels the box touches.
    """
    if not context >= 1:
        raise ValueError(f'context must be >= 1 (the window holds the box), got {context}')
    windows = []
    for index, img_boxes in enumerate(boxes):
        for x1, y1, x2, y2 in _box_tensor(img_boxes).detach().cpu().double().tolist():
            bx0, bx1 = _touched_span(x1, x2)
            by0, by1 = _touched_span(y1, y2)
            longer = max(bx1 - bx0, by1 - by0)
            side = max(math.ceil(context * longer), int(min_side), longer + 2 * int(margin))
            # Integer centring: x0 <= bx0 and x0 + side >= bx1 for any side >= box.
            x0 = (bx0 + bx1 - side) // 2
            y0 = (by0 + by1 - side) // 2
            windows.append((index, x0, y0, side, (bx0, by0, bx1, by1)))
    return windows


def _clip(x0: int, y0: int, side: int, height: int,
          width: int) -> Tuple[slice, slice, slice, slice, Tuple[int, int, int, int]]:
    """Image slices of a window, the matching window slices and the replicate pads."""
    ix0, iy0 = max(x0, 0), max(y0, 0)
    ix1, iy1 = min(x0 + side, width), min(y0 + side, height)
    if ix1 <= ix0 or iy1 <= iy0:
        raise ValueError(f'window x0={x0} y0={y0} side={side} lies outside the '
                         f'{height}x{width} image: is a box outside the image?')
    pads = (ix0 - x0, x0 + side - ix1, iy0 - y0, y0 + side - iy1)
    return (slice(iy0, iy1), slice(ix0, ix1), slice(iy0 - y0, iy1 - y0),
            slice(ix0 - x0, ix1 - x0), pads)


def _resize(x: torch.Tensor, size: int) -> torch.Tensor:
    # Antialiased when shrinking, so a large window is averaged, not aliased.
    return F.interpolate(x, size=(size, size), mode='bilinear', align_corners=False,
                         antialias=size < x.shape[-1])


def window_region(img: torch.Tensor, window: Tuple) -> torch.Tensor:
    """The full-resolution ``(1, C, side, side)`` window, border-replicated."""
    index, x0, y0, side, _ = window
    rows, cols, _, _, pads = _clip(x0, y0, side, *img.shape[-2:])
    region = img[index:index + 1, :, rows, cols]
    return F.pad(region, pads, mode='replicate') if any(pads) else region


def own_mask(mask: torch.Tensor, window: Tuple) -> torch.Tensor:
    """The ``(1, K, side, side)`` mask (K: 1, or one channel per class) of this window's box only.

    The rasterised mask is kept as given (one rule for every consumer); other
    boxes reaching into the window are cut away, so each window edits its own
    box and the boxes of one image do not repaint each other.
    """
    index, x0, y0, side, (bx0, by0, bx1, by1) = window
    rows, cols, wrows, wcols, _ = _clip(x0, y0, side, *mask.shape[-2:])
    out = mask.new_zeros(1, mask.shape[1], side, side)
    out[..., wrows, wcols] = mask[index:index + 1, :, rows, cols]
    keep = torch.zeros_like(out)
    keep[..., by0 - y0:by1 - y0, bx0 - x0:bx1 - x0] = 1
    return out * keep


def crop_windows(img: torch.Tensor, windows: Sequence[Tuple], size: int,
                 mask: Optional[torch.Tensor] = None
                 ) -> Tuple[torch.Tensor, Optional[torch.Tensor]]:
    """Crops ``(N, C, size, size)`` of the windows (and of their own masks).

    Differentiable in ``img``; no window gives ``(0, C, size, size)``.
    """
    channels = img.shape[1]
    if not windows:
        empty = img.new_zeros(0, channels, size, size)
        return empty, (None if mask is None else img.new_zeros(0, mask.shape[1], size, size))
    crops = torch.cat([_resize(window_region(img, w), size) for w in windows])
    if mask is None:
        return crops, None
    masks = torch.cat([_resize(own_mask(mask.to(img.dtype), w), size) for w in windows])
    return crops, masks


PASTE_MODES = ('output', 'change')


def paste_windows(img: torch.Tensor, mask: torch.Tensor, windows: Sequence[Tuple],
                  generated: torch.Tensor, blend: BlendFn, change: bool = False) -> torch.Tensor:
    """Resize generated crops to their windows and composite them in, in order.

    Pixels outside every window are the input's own (bit-identical); inside a
    window the result is ``w * generated + (1 - w) * current`` with ``w =
    blend(own mask)`` at full resolution, so pixels where ``w`` is 0 keep
    their value exactly too.

    With ``change``, ``generated`` holds what the generator changed in its
    crops (``generated - crops``) and is added instead: ``current + w *
    resize(change)``, clamped to ``[-1, 1]`` where ``w > 0``. A window larger
    than the crop then keeps its full-resolution detail (tissue texture)
    under the box instead of the crop's blurred copy.
    """
    if not windows:
        return img
    out = img.clone()
    for window, crop in zip(windows, generated):
        index, x0, y0, side, _ = window
        rows, cols, wrows, wcols, _ = _clip(x0, y0, side, *img.shape[-2:])
        weight = blend(own_mask(mask.to(img.dtype), window))[..., wrows, wcols]
        up = F.interpolate(crop[None], size=(side, side), mode='bilinear',
                           align_corners=False)[..., wrows, wcols]
        current = out[index:index + 1, :, rows, cols].clone()
        if change:
            new = torch.where(weight > 0, (current + weight * up).clamp(-1, 1), current)
        else:
            new = weight * up + (1 - weight) * current
        out[index:index + 1, :, rows, cols] = new
    return out


def insert_in_windows(img: torch.Tensor, mask: torch.Tensor, boxes: Sequence,
                      generate: GenerateFn, blend: BlendFn, crop_size: int, context: float,
                      min_side: int = 1, margin: int = 0, paste: str = 'output'
                      ) -> torch.Tensor:
    """Local generation: crop every box's window, generate, paste back.

    Args:
        img: ``(B, C, H, W)`` images in ``[-1, 1]``.
        mask: ``(B, 1, H, W)`` rasterised box masks.
        boxes: Per image, ``(K_i, 4)`` xyxy boxes (the ones ``mask`` shows).
        generate: Raw generator on crops (batch of windows at ``crop_size``).
        blend: Composite weight from a full-resolution mask.
        crop_size: Side the windows are resized to.
        context, min_side, margin: See :func:`context_windows`.
        paste: ``'output'`` pastes the generated crops, ``'change'`` only what
            the generator changed in them (see :func:`paste_windows`).

    Returns:
        ``(B, C, H, W)``; identical to ``img`` outside the windows.
    """
    if len(boxes) != img.shape[0]:
        raise ValueError(f'{len(boxes)} box lists for {img.shape[0]} images')
    if paste not in PASTE_MODES:
        raise ValueError(f'paste must be one of {PASTE_MODES}, got {paste!r}')
    windows = context_windows(boxes, context, min_side, margin)
    if not windows:
        return img
    crops, crop_masks = crop_windows(img, windows, crop_size, mask)
    generated = generate(crops, crop_masks)
    if generated.shape != crops.shape:
        raise ValueError(f'generator returned {tuple(generated.shape)} for crops '
                         f'{tuple(crops.shape)}')
    generated = generated.to(img.dtype)
    if paste == 'change':
        return paste_windows(img, mask, windows, generated - crops, blend, change=True)
    return paste_windows(img, mask, windows, generated, blend)
