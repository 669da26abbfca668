"""ResNet generator that edits an image only inside a mask (CycleGAN family)."""
from typing import Optional

import torch
import torch.nn as nn
import torch.nn.functional as F
from mmengine.model import BaseModule

from mmdgan.registry import MODELS


class _ResnetBlock(nn.Module):
    """Reflection-padded residual block with InstanceNorm.

    Convolutions followed by InstanceNorm carry no bias: the normalisation
    subtracts it again, so it would only be a parameter without a gradient.
    """

    def __init__(self, channels: int) -> None:
        super().__init__()
        self.body = nn.Sequential(
            nn.ReflectionPad2d(1), nn.Conv2d(channels, channels, 3, bias=False),
            nn.InstanceNorm2d(channels), nn.ReLU(inplace=True),
            nn.ReflectionPad2d(1), nn.Conv2d(channels, channels, 3, bias=False),
            nn.InstanceNorm2d(channels))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x + self.body(x)


COMPOSITES = ('hard', 'feather')
UPSAMPLE_MODES = ('nearest', 'bilinear')
OUTPUTS = ('image', 'residual')


def blend_weight(mask: torch.Tensor, composite: str = 'hard',
                 feather_radius: int = 3) -> torch.Tensor:
    """Per-pixel weight of generated pixels in the composite with the input.

    Args:
        mask: ``(B, 1, H, W)`` float masks, 1 inside the boxes, or per-class
            masks ``(B, K, H, W)``, whose union is blended.
        composite: ``'hard'`` (the mask itself) or ``'feather'`` (the mask
            widened by a box blur of half-width ``feather_radius``).
        feather_radius: Half-width in pixels of the blur.
    """
    if mask.shape[1] > 1:
        mask = mask.amax(1, keepdim=True)
    if composite == 'hard':
        return mask
    if composite != 'feather':
        raise ValueError(f'composite must be one of {COMPOSITES}, got {composite!r}')
    size = 2 * feather_radius + 1
    blurred = F.avg_pool2d(mask, size, stride=1, padding=feather_radius,
                           count_include_pad=False)
    # Only ever widen the mask: inside the box the generator has full
    # control, and the soft edge lies just outside it.
    return torch.maximum(mask, blurred.clamp(0, 1) * 2).clamp(0, 1)


@MODELS.register_module()
class MaskedResnetGenerator(BaseModule):
    """Generator conditioned on an image and a box mask.

    The network sees ``cat(image, mask)`` and produces an image in
    ``[-1, 1]`` (or a residual added to the input); the result is composited
    with the input so that only the masked region can change. Used as the
    inserter ``G_X`` (clean image + box mask -> image with an object in the
    box) and as the remover ``G_Y``.

    Args:
        in_channels: Image channels (1 for grayscale, 3 for RGB). The output
            has the same number of channels.
        base_channels: Width of the first convolution.
        num_blocks: Residual blocks at the bottleneck.
        num_downsamples: Stride-2 stages; inputs are reflect-padded to a
            multiple of ``2 ** num_downsamples`` and cropped back.
        composite: ``'hard'`` keeps every pixel outside the mask bit-identical
            to the input; ``'feather'`` blends with a blurred mask so that the
            seam is smooth (pixels far from the box are still unchanged).
        feather_radius: Half-width in pixels of the box blur used by
            ``'feather'``.
        upsample: Interpolation of the decoder's resize-convolutions:
            ``'nearest'`` or ``'bilinear'``. Nearest copies every bottleneck
            value into a ``2 ** num_downsamples`` block, so a generator pushed
            towards high frequencies (e.g. by a detector in the loop) paints a
            grid of that period; bilinear smooths it.
        output: ``'image'``: the network paints the whole masked region
            (``tanh`` output). ``'residual'``: it adds a change to the input,
            ``clamp(img + net(.), -1, 1)``, with the last convolution
            zero-initialised so that an untrained generator is the identity.
            A residual inserter keeps the tissue texture under the box and
            only has to learn what an object adds to it; a painting one
            starts from a flat patch, which is what short runs leave behind.
        num_classes: Object classes it inserts. Above 1 the mask has one
            channel per class (``(B, num_classes, H, W)``, channel ``c`` holding
            the boxes of class ``c``), i.e. class-conditional generation by
            input concatenation (Mirza & Osindero's conditional GAN, in the
            spatial form of SPADE/pix2pix label maps): it costs one input
            channel per class, the same network serves the local-crop
            inserter (the class channels are cropped with the box) and
            exports to ONNX as one more input channel, with no embedding
            table or conditional normalisation to convert. With one class the
            mask is the single box mask of before.
        init_cfg: mmengine initialisation config.
    """

    def __init__(self,
                 in_channels: int = 1,
                 base_channels: int = 64,
                 num_blocks: int = 9,
                 num_downsamples: int = 2,
                 composite: str = 'hard',
                 feather_radius: int = 3,
                 upsample: str = 'nearest',
                 output: str = 'image',
                 num_classes: int = 1,
                 init_cfg: Optional[dict] = dict(
                     type='Normal', layer='Conv2d', std=0.02)) -> None:
        super().__init__(init_cfg=init_cfg)
        if composite not in COMPOSITES:
            raise ValueError(f'composite must be one of {COMPOSITES}, got {composite!r}')
        if upsample not in UPSAMPLE_MODES:
            raise ValueError(f'upsample must be one of {UPSAMPLE_MODES}, got {upsample!r}')
        if output not in OUTPUTS:
            raise ValueError(f'output must be one of {OUTPUTS}, got {output!r}')
        if in_channels < 1 or base_channels < 1 or num_blocks < 0 or num_classes < 1:
            raise ValueError('in_channels, base_channels and num_classes must be >= 1 and '
                             'num_blocks >= 0')
        self.in_channels = in_channels
        self.num_classes = int(num_classes)
        self.composite = composite
        self.feather_radius = feather_radius
        self.size_divisor = 2**num_downsamples
        self.output = output

        layers = [
            nn.ReflectionPad2d(3),
            nn.Conv2d(in_channels + self.num_classes, base_channels, 7, bias=False),
            nn.InstanceNorm2d(base_channels), nn.ReLU(inplace=True)
        ]
        channels = base_channels
        for _ in range(num_downsamples):
            layers += [
                nn.Conv2d(channels, channels * 2, 3, stride=2, padding=1, bias=False),
                nn.InstanceNorm2d(channels * 2), nn.ReLU(inplace=True)
            ]
            channels *= 2
        layers += [_ResnetBlock(channels) for _ in range(num_blocks)]
        for _ in range(num_downsamples):
            # Resize-convolution instead of a transposed convolution: no
            # checkerboard artefacts, which a detector would happily learn.
            layers += [
                nn.Upsample(scale_factor=2, mode=upsample,
                            align_corners=None if upsample == 'nearest' else False),
                nn.Conv2d(channels, channels // 2, 3, padding=1, bias=False),
                nn.InstanceNorm2d(channels // 2), nn.ReLU(inplace=True)
            ]
            channels //= 2
        layers += [nn.ReflectionPad2d(3), nn.Conv2d(channels, in_channels, 7)]
        if output == 'image':
            layers.append(nn.Tanh())
        self.net = nn.Sequential(*layers)
        self._zero_residual_head()

    def _zero_residual_head(self) -> None:
        if self.output == 'residual':
            head = self.net[-1]
            nn.init.zeros_(head.weight)
            nn.init.zeros_(head.bias)

    def init_weights(self) -> None:
        # init_cfg's Normal re-draws every Conv2d, the residual head included.
        super().init_weights()
        self._zero_residual_head()

    def blend_weight(self, mask: torch.Tensor) -> torch.Tensor:
        """Per-pixel weight of the generated image in the composite."""
        return blend_weight(mask, self.composite, self.feather_radius)

    def _check(self, img: torch.Tensor, mask: torch.Tensor) -> None:
        if img.dim() != 4 or img.shape[1] != self.in_channels:
            raise ValueError(f'img must be (B, {self.in_channels}, H, W), '
                             f'got {tuple(img.shape)}')
        if mask.dim() != 4 or mask.shape[1] != self.num_classes:
            raise ValueError(f'mask must be (B, {self.num_classes}, H, W) (one channel per '
                             f'class), got {tuple(mask.shape)}')

    def generate(self, img: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        """The network's own ``(B, C, H, W)`` output, before compositing."""
        self._check(img, mask)
        height, width = img.shape[-2:]
        pad_h = (-height) % self.size_divisor
        pad_w = (-width) % self.size_divisor
        net_in = torch.cat([img, mask.to(img.dtype)], dim=1)
        # Pad unconditionally (a zero pad is a no-op): a Python ``if`` on the
        # size would be frozen by the ONNX exporters at the example's shape.
        net_in = F.pad(net_in, (0, pad_w, 0, pad_h), mode='reflect')
        out = self.net(net_in)[..., :height, :width]
        if self.output == 'residual':
            out = (img + out).clamp(-1, 1)
        return out

    def forward(self, img: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        """Edit ``img`` inside ``mask``.

        Args:
            img: ``(B, C, H, W)`` images in ``[-1, 1]``.
            mask: ``(B, num_classes, H, W)`` masks, 1 inside the boxes (of
                that channel's class), 0 elsewhere.

        Returns:
            ``(B, C, H, W)`` images in ``[-1, 1]``.
        """
        generated = self.generate(img, mask)
        weight = self.blend_weight(mask.to(img.dtype))
        return weight * generated + (1 - weight) * img
