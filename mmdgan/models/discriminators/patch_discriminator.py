"""PatchGAN discriminator (pix2pix / CycleGAN)."""
from typing import Optional

import torch
import torch.nn as nn
import torch.nn.functional as F
from mmengine.model import BaseModule
from torch.nn.utils.parametrizations import spectral_norm as _spectral_norm

from mmdgan.registry import MODELS

_NORMS = {
    'instance': lambda c: nn.InstanceNorm2d(c),
    'batch': lambda c: nn.BatchNorm2d(c),
    'none': None,
}


@MODELS.register_module()
class PatchDiscriminator(BaseModule):
    """Fully convolutional discriminator scoring overlapping patches.

    ``num_layers`` stride-2 convolutions (4x4), one stride-1 convolution and a
    1-channel stride-1 output convolution: with 3 layers each output value
    sees a 70x70 patch. Widths double per layer up to ``8 * base_channels``.

    Args:
        in_channels: Image channels.
        base_channels: Width of the first convolution.
        num_layers: Number of stride-2 convolutions (>= 1).
        norm: ``'instance'``, ``'batch'`` or ``'none'``.
        spectral_norm: Wrap every convolution in spectral normalisation.
        downsample: Average-pool the input by this factor first (a global
            discriminator on a large image at a fraction of the cost).
        init_cfg: mmengine initialisation config.
    """

    def __init__(self,
                 in_channels: int,
                 base_channels: int = 64,
                 num_layers: int = 3,
                 norm: str = 'instance',
                 spectral_norm: bool = False,
                 downsample: int = 1,
                 init_cfg: Optional[dict] = dict(type='Normal', layer='Conv2d', std=0.02)) -> None:
        super().__init__(init_cfg=init_cfg)
        if norm not in _NORMS:
            raise ValueError(f'norm must be one of {tuple(_NORMS)}, got {norm!r}')
        if in_channels < 1 or base_channels < 1 or num_layers < 1:
            raise ValueError('in_channels, base_channels and num_layers must be >= 1, got '
                             f'{in_channels}, {base_channels}, {num_layers}')
        if int(downsample) != downsample or downsample < 1:
            raise ValueError(f'downsample must be an int >= 1, got {downsample!r}')
        self.in_channels = in_channels
        self.downsample = int(downsample)
        make_norm = _NORMS[norm]

        def conv(cin: int, cout: int, stride: int, bias: bool) -> nn.Module:
            layer = nn.Conv2d(cin, cout, 4, stride=stride, padding=1, bias=bias)
            return _spectral_norm(layer) if spectral_norm else layer

        def block(cin: int, cout: int, stride: int, normed: bool) -> list:
            # A bias before a normalisation is cancelled by it: leave it out.
            layers = [conv(cin, cout, stride, bias=not (normed and make_norm))]
            if normed and make_norm:
                layers.append(make_norm(cout))
            return layers + [nn.LeakyReLU(0.2, inplace=True)]

        layers = block(in_channels, base_channels, 2, normed=False)
        channels = base_channels
        for i in range(1, num_layers + 1):
            out = base_channels * min(2**i, 8)
            layers += block(channels, out, 2 if i < num_layers else 1, normed=True)
            channels = out
        layers.append(conv(channels, 1, 1, bias=True))
        self.net = nn.Sequential(*layers)

    def forward(self, img: torch.Tensor) -> torch.Tensor:
        """Score ``(B, C, H, W)`` images; returns ``(B, 1, h, w)`` patch logits."""
        if img.dim() != 4 or img.shape[1] != self.in_channels:
            raise ValueError(f'PatchDiscriminator: img must be (B, {self.in_channels}, H, W), '
                             f'got {tuple(img.shape)}')
        if self.downsample > 1:
            img = F.avg_pool2d(img, self.downsample, ceil_mode=True)
        return self.net(img)
