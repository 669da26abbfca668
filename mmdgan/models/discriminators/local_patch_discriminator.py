"""Discriminator that judges the box regions of an image."""
from typing import Optional, Sequence, Union

import torch
import torch.nn.functional as F
from mmengine.model import BaseModule

from mmdgan.models.layers.roi_crop import crop_and_resize
from mmdgan.registry import MODELS

from .patch_discriminator import PatchDiscriminator


@MODELS.register_module()
class LocalPatchDiscriminator(BaseModule):
    """PatchGAN on box crops (``D_localX``).

    Each box is cropped (with an optional context margin) and resized to
    ``crop_size`` by a grid-sample RoIAlign, which is differentiable to any
    order, and the crops are scored by a :class:`PatchDiscriminator`. Real
    crops come from Y's boxes, fake ones from the inserted boxes of G_X.

    Args:
        in_channels: Image channels.
        crop_size: Side of the resized crops.
        base_channels: Width of the first convolution.
        num_layers: Stride-2 convolutions of the PatchGAN.
        context: Margin around each box as a fraction of its size, so that the
            seam between object and background is judged too. Unused under
            local generation: ``DetectorGAN`` then passes the generator's own
            windows as crops.
        norm: Normalisation of the PatchGAN.
        spectral_norm: Spectral normalisation of the PatchGAN.
        sampling_ratio: Samples per output pixel and axis for the resize (0:
            adaptive, which averages when shrinking).
        num_classes: Object classes. Above 1 the discriminator is conditioned
            on each crop's class: :meth:`condition` appends ``num_classes``
            one-hot planes to the crops (input concatenation, as the inserter's
            per-class mask channels), so it judges "a plausible object of
            this class" and a wrong-class object counts as fake. The planes
            travel with the crops, so pooled fakes keep their class.
        init_cfg: mmengine initialisation config.
    """

    def __init__(self,
                 in_channels: int,
                 crop_size: int = 32,
                 base_channels: int = 64,
                 num_layers: int = 3,
                 context: float = 0.0,
                 norm: str = 'instance',
                 spectral_norm: bool = False,
                 sampling_ratio: int = 0,
                 num_classes: int = 1,
                 init_cfg: Optional[dict] = None) -> None:
        super().__init__(init_cfg=init_cfg)
        # Each stride-2 layer halves the crop and the stride-1 4x4 convolution
        # removes one more pixel; InstanceNorm needs more than one value there.
        min_size = 3 * 2**num_layers
        if crop_size < min_size:
            raise ValueError(f'crop_size must be >= {min_size} for num_layers={num_layers}, '
                             f'got {crop_size}')
        if context < 0:
            raise ValueError(f'context must be >= 0, got {context}')
        if int(num_classes) != num_classes or num_classes < 1:
            raise ValueError(f'num_classes must be an int >= 1, got {num_classes!r}')
        self.in_channels = in_channels
        self.num_classes = int(num_classes)
        #: Channels of what the PatchGAN judges: the image and, with several
        #: classes, the one-hot class planes.
        self.crop_channels = in_channels + (self.num_classes if self.num_classes > 1 else 0)
        self.crop_size = crop_size
        self.context = context
        self.sampling_ratio = sampling_ratio
        self.patch = PatchDiscriminator(self.crop_channels, base_channels, num_layers, norm,
                                        spectral_norm)

    def condition(self, crops: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
        """``crops`` with one-hot class planes of ``labels`` (one per crop)
        appended; unchanged with one class."""
        if self.num_classes == 1:
            return crops
        labels = labels.to(crops.device).long().reshape(-1)
        if len(labels) != len(crops):
            raise ValueError(f'LocalPatchDiscriminator: {len(crops)} crops but '
                             f'{len(labels)} labels')
        onehot = F.one_hot(labels, self.num_classes).to(crops.dtype)
        planes = onehot[:, :, None, None].expand(-1, -1, *crops.shape[-2:])
        return torch.cat([crops, planes], dim=1)

    def crop(self, img: torch.Tensor,
             boxes: Union[torch.Tensor, Sequence[torch.Tensor]]) -> torch.Tensor:
        """``(N, C, crop_size, crop_size)`` crops of ``boxes`` from ``img``."""
        if img.dim() != 4 or img.shape[1] != self.in_channels:
            raise ValueError(f'LocalPatchDiscriminator: img must be (B, {self.in_channels}, H, '
                             f'W), got {tuple(img.shape)}')
        crops = crop_and_resize(img, boxes, self.crop_size, self.context, self.sampling_ratio)
        if len(crops) == 0:
            raise ValueError('LocalPatchDiscriminator: no boxes to judge in this batch')
        return crops

    def forward(self, img: torch.Tensor,
                boxes: Union[None, torch.Tensor, Sequence[torch.Tensor]] = None) -> torch.Tensor:
        """Score the box regions, or crops made elsewhere.

        Args:
            img: ``(B, C, H, W)`` images, or with ``boxes=None`` ``(N, C, h,
                w)`` crops already cut (e.g. ``LocalCropInserter`` windows or
                pooled fakes), resized here to ``crop_size`` if need be.
            boxes: Per-image ``(K_i, 4)`` xyxy pixel boxes, or ``(N, 5)`` RoIs
                ``(batch_index, x1, y1, x2, y2)``.

        Returns:
            ``(N, 1, h, w)`` patch logits, one map per box.
        """
        if boxes is not None:
            if self.num_classes > 1:
                raise ValueError('LocalPatchDiscriminator: with several classes, crop and '
                                 'condition() first, then score the crops')
            return self.patch(self.crop(img, boxes))
        if img.dim() != 4 or img.shape[1] != self.crop_channels or len(img) == 0:
            raise ValueError(f'LocalPatchDiscriminator: crops must be (N>0, '
                             f'{self.crop_channels}, h, w), got {tuple(img.shape)}')
        if img.shape[-2:] != (self.crop_size, self.crop_size):
            img = F.interpolate(img, size=(self.crop_size, self.crop_size), mode='bilinear',
                                align_corners=False, antialias=self.crop_size < img.shape[-1])
        return self.patch(img)
