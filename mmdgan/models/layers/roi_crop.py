"""RoIAlign in pure PyTorch, twice differentiable.

mmcv's compiled ``RoIAlign`` is ``once_differentiable``: the exact unroll
(second-order autograd through the detector) cannot pass through it. This
version samples with ``F.grid_sample``, whose backward is itself
differentiable, and reproduces mmcv's ``RoIAlign`` (``pool_mode='avg'``)
sample positions, boundary rules and adaptive sampling grid.
"""
from typing import List, Sequence, Tuple, Union

import torch
import torch.nn as nn
import torch.nn.functional as F

from mmdgan.registry import MODELS


def _pair(value: Union[int, Sequence[int]], name: str) -> Tuple[int, int]:
    pair = (value, value) if isinstance(value, int) else tuple(value)
    if len(pair) != 2 or any(int(v) != v or v < 1 for v in pair):
        raise ValueError(f'{name} must be a positive int or a pair of them, got {value!r}')
    return int(pair[0]), int(pair[1])


def _sample_coords(start: torch.Tensor, size: torch.Tensor, bins: int,
                   grid: int) -> torch.Tensor:
    """Sample positions ``(K, bins * grid)`` along one axis, as mmcv places them."""
    steps = torch.arange(bins * grid, device=start.device, dtype=start.dtype)
    # mmcv: start + bin * bin_size + (i + 0.5) * bin_size / grid
    offsets = (steps.div(grid, rounding_mode='floor')
               + (steps.remainder(grid) + 0.5) / grid)
    return start[:, None] + offsets[None, :] * (size / bins)[:, None]


def roi_align(feats: torch.Tensor,
              rois: torch.Tensor,
              output_size: Union[int, Sequence[int]],
              spatial_scale: float = 1.0,
              sampling_ratio: int = 0,
              aligned: bool = True) -> torch.Tensor:
    """Average RoIAlign with mmcv's semantics, differentiable to any order in ``feats``.

    Args:
        feats: ``(B, C, H, W)`` feature maps.
        rois: ``(N, 5)`` rows ``(batch_index, x1, y1, x2, y2)`` in the input
            frame; they receive no gradient (as with mmcv).
        output_size: ``(out_h, out_w)`` or one int.
        spatial_scale: Scale from the ``rois`` frame to the feature frame.
        sampling_ratio: Samples per bin and axis; 0 picks
            ``ceil(roi_size / output_size)`` per RoI, as mmcv does.
        aligned: Shift by half a pixel so that pixel centres sit at ``i + 0.5``
            (mmcv's ``aligned=True``).

    Returns:
        ``(N, C, out_h, out_w)`` pooled features.
    """
    out_h, out_w = _pair(output_size, 'output_size')
    if feats.dim() != 4:
        raise ValueError(f'roi_align: feats must be (B, C, H, W), got {tuple(feats.shape)}')
    if rois.dim() != 2 or rois.shape[1] != 5:
        raise ValueError(f'roi_align: rois must be (N, 5), got {tuple(rois.shape)}')
    if sampling_ratio < 0:
        raise ValueError(f'roi_align: sampling_ratio must be >= 0, got {sampling_ratio}')
    num_imgs, channels, height, width = feats.shape
    rois = rois.detach().to(feats.dtype)
    offset = 0.5 if aligned else 0.0
    starts = rois[:, 1:3] * spatial_scale - offset
    sizes = rois[:, 3:5] * spatial_scale - offset - starts
    if not aligned:
        sizes = sizes.clamp(min=1.0)
    if sampling_ratio > 0:
        grids = torch.full_like(sizes, sampling_ratio, dtype=torch.long)
    else:
        # mmcv computes ceilf in float32; do the same so grids never differ.
        grids = torch.ceil(sizes.float() / sizes.new_tensor([out_w, out_h]).float()).long()
    grids = grids.clamp(min=0)
    batch_idx = rois[:, 0].long()

    pieces: List[torch.Tensor] = []
    order: List[torch.Tensor] = []
    # One batched grid_sample per (image, grid size): exact per-RoI sampling
    # grids without padding every RoI to the largest one.
    keys = batch_idx * (1 << 40) + grids[:, 1] * (1 << 20) + grids[:, 0]
    for key in torch.unique(keys).tolist():
        idx = torch.nonzero(keys == key, as_tuple=False).squeeze(1)
        img = int(batch_idx[idx[0]])
        grid_w, grid_h = (int(v) for v in grids[idx[0]])
        if not 0 <= img < num_imgs:
            raise ValueError(f'roi_align: RoI batch index {img} outside [0, {num_imgs})')
        order.append(idx)
        if grid_w == 0 or grid_h == 0:
            pieces.append(feats.new_zeros(len(idx), channels, out_h, out_w))
            continue
        xs = _sample_coords(starts[idx, 0], sizes[idx, 0], out_w, grid_w)
        ys = _sample_coords(starts[idx, 1], sizes[idx, 1], out_h, grid_h)
        # mmcv drops samples more than one pixel outside the map and clamps
        # the rest to the border, which is grid_sample's 'border' padding.
        valid = (((xs >= -1) & (xs <= width))[:, None, :]
                 & ((ys >= -1) & (ys <= height))[:, :, None]).to(feats.dtype)
        norm_x = (2 * xs + 1) / width - 1
        norm_y = (2 * ys + 1) / height - 1
        grid = torch.stack(torch.broadcast_tensors(norm_x[:, None, :], norm_y[:, :, None]), -1)
        num = len(idx)
        sampled = F.grid_sample(
            feats[img:img + 1], grid.reshape(1, num * out_h * grid_h, out_w * grid_w, 2),
            mode='bilinear', padding_mode='border', align_corners=False)
        sampled = sampled.reshape(channels, num, out_h * grid_h, out_w * grid_w) * valid
        pooled = sampled.reshape(channels, num, out_h, grid_h, out_w, grid_w).mean((3, 5))
        pieces.append(pooled.permute(1, 0, 2, 3))
    if not pieces:
        return feats.new_zeros(0, channels, out_h, out_w)
    out = torch.cat(pieces)
    return out[torch.argsort(torch.cat(order))]


@MODELS.register_module()
class PureRoIAlign(nn.Module):
    """Drop-in for ``mmcv.ops.RoIAlign`` (average mode) that supports double backward.

    mmdet's ``BaseRoIExtractor.build_roi_layers`` accepts a class as
    ``roi_layer=dict(type=PureRoIAlign, ...)``; for an already built detector
    use :func:`mmdgan.models.layers.make_twice_differentiable`.

    Args:
        output_size: Output ``(h, w)`` or one int.
        spatial_scale: Scale from the RoI frame to the feature frame.
        sampling_ratio: Samples per bin and axis (0: adaptive, as mmcv).
        pool_mode: Only ``'avg'`` (what mmdet uses).
        aligned: mmcv's half-pixel alignment.
        use_torchvision: Accepted for signature compatibility with mmcv; the
            result is the same either way.
    """

    def __init__(self,
                 output_size: Union[int, Sequence[int]],
                 spatial_scale: float = 1.0,
                 sampling_ratio: int = 0,
                 pool_mode: str = 'avg',
                 aligned: bool = True,
                 use_torchvision: bool = False) -> None:
        super().__init__()
        if pool_mode != 'avg':
            raise ValueError(f"PureRoIAlign supports pool_mode='avg' only, got {pool_mode!r}")
        self.output_size = _pair(output_size, 'output_size')
        self.spatial_scale = float(spatial_scale)
        self.sampling_ratio = int(sampling_ratio)
        self.pool_mode = pool_mode
        self.aligned = aligned
        self.use_torchvision = use_torchvision

    def forward(self, input: torch.Tensor, rois: torch.Tensor) -> torch.Tensor:
        """Pool ``rois`` ``(N, 5)`` from ``input`` ``(B, C, H, W)``."""
        return roi_align(input, rois, self.output_size, self.spatial_scale,
                         self.sampling_ratio, self.aligned)

    def extra_repr(self) -> str:
        return (f'output_size={self.output_size}, spatial_scale={self.spatial_scale}, '
                f'sampling_ratio={self.sampling_ratio}, aligned={self.aligned}')


def boxes_to_rois(boxes: Union[torch.Tensor, Sequence[torch.Tensor]]) -> torch.Tensor:
    """Per-image ``(K_i, 4)`` xyxy boxes -> ``(N, 5)`` RoIs; ``(N, 5)`` passes through."""
    if isinstance(boxes, torch.Tensor):
        if boxes.dim() != 2 or boxes.shape[1] != 5:
            raise ValueError('boxes given as one tensor must be (N, 5) RoIs '
                             f'(batch_index, x1, y1, x2, y2), got {tuple(boxes.shape)}')
        return boxes
    rois = []
    for i, img_boxes in enumerate(boxes):
        if img_boxes.dim() != 2 or img_boxes.shape[1] != 4:
            raise ValueError(f'boxes[{i}] must be (K, 4) xyxy, got {tuple(img_boxes.shape)}')
        rois.append(torch.cat([img_boxes.new_full((len(img_boxes), 1), i), img_boxes], 1))
    if not rois:
        raise ValueError('boxes is an empty list: one (K, 4) tensor per image is required')
    return torch.cat(rois)


def crop_and_resize(img: torch.Tensor,
                    boxes: Union[torch.Tensor, Sequence[torch.Tensor]],
                    size: Union[int, Sequence[int]],
                    context: float = 0.0,
                    sampling_ratio: int = 0) -> torch.Tensor:
    """Crop boxes from images and resize them, differentiably (to any order).

    Args:
        img: ``(B, C, H, W)`` images.
        boxes: Per-image ``(K_i, 4)`` xyxy pixel boxes, or ``(N, 5)`` RoIs.
        size: Output crop size.
        context: Margin added on every side, as a fraction of the box size
            (0.5 doubles width and height around the centre).
        sampling_ratio: Samples per output pixel and axis (0: adaptive, which
            averages when shrinking large boxes).

    Returns:
        ``(N, C, size_h, size_w)`` crops, in the order of the boxes.
    """
    if context < 0:
        raise ValueError(f'context must be >= 0, got {context}')
    rois = boxes_to_rois(boxes)
    if context:
        wh = rois[:, 3:5] - rois[:, 1:3]
        margin = torch.cat([-wh, wh], 1) * context
        rois = torch.cat([rois[:, :1], rois[:, 1:5] + margin], 1)
    return roi_align(img, rois, size, 1.0, sampling_ratio, aligned=True)
