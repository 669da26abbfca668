"""Differentiable augmentation of what a discriminator sees (DiffAugment).

After Zhao, Liu, Lin, Zhu, Han, "Differentiable Augmentation for Data-Efficient
GAN Training" (NeurIPS 2020): with ~100 real objects a discriminator memorises
them within a few hundred steps and the generator drifts. Augmenting real *and*
fake images with the same random, differentiable transforms before every
discriminator (in its own update and in the generator's adversarial term)
keeps it from memorising, while the generator still learns the un-augmented
distribution because every transform is applied to both sides alike.
"""
from typing import Optional, Sequence, Tuple

import torch
import torch.nn as nn

from mmdgan.registry import MODELS

#: The transform families, in the order they are applied.
POLICIES = ('color', 'translation', 'cutout')


def _per_sample(x: torch.Tensor, generator: Optional[torch.Generator]) -> torch.Tensor:
    """``(B, 1, 1, 1)`` uniform [0, 1) factors, one per image."""
    return torch.rand(x.shape[0], 1, 1, 1, generator=generator,
                      device=x.device).to(x.dtype)


def random_brightness(x: torch.Tensor, generator: Optional[torch.Generator] = None
                      ) -> torch.Tensor:
    """Add one offset in ``[-0.5, 0.5)`` per image (GAN range ``[-1, 1]``)."""
    return x + (_per_sample(x, generator) - 0.5)


def random_saturation(x: torch.Tensor, generator: Optional[torch.Generator] = None
                      ) -> torch.Tensor:
    """Scale each image's deviation from its grey value by ``[0, 2)``.

    The identity on single-channel images (the grey value is the image).
    """
    if x.shape[1] == 1:
        return x
    grey = x.mean(dim=1, keepdim=True)
    return (x - grey) * (2 * _per_sample(x, generator)) + grey


def random_contrast(x: torch.Tensor, generator: Optional[torch.Generator] = None
                    ) -> torch.Tensor:
    """Scale each image's deviation from its mean by ``[0.5, 1.5)``."""
    mean = x.mean(dim=(1, 2, 3), keepdim=True)
    return (x - mean) * (_per_sample(x, generator) + 0.5) + mean


def random_translation(x: torch.Tensor, ratio: float,
                       generator: Optional[torch.Generator] = None) -> torch.Tensor:
    """Shift each image by up to ``ratio`` of its side, per axis (integer pixels).

    Pixels shifted in from outside repeat the border (a gather with clamped
    indices), so no artificial frame appears that the discriminator could use;
    the gradient flows to every source pixel.
    """
    batch, _, height, width = x.shape
    max_dy, max_dx = int(height * ratio), int(width * ratio)
    if max_dy == 0 and max_dx == 0:
        return x
    dy = torch.randint(-max_dy, max_dy + 1, (batch, 1), generator=generator, device=x.device)
    dx = torch.randint(-max_dx, max_dx + 1, (batch, 1), generator=generator, device=x.device)
    rows = (torch.arange(height, device=x.device)[None] - dy).clamp(0, height - 1)
    cols = (torch.arange(width, device=x.device)[None] - dx).clamp(0, width - 1)
    # Gather rows, then columns: (B, C, H, W) indexed per image.
    x = x.gather(2, rows[:, None, :, None].expand(-1, x.shape[1], -1, width))
    return x.gather(3, cols[:, None, None, :].expand(-1, x.shape[1], height, -1))


def random_cutout(x: torch.Tensor, ratio: float,
                  generator: Optional[torch.Generator] = None) -> torch.Tensor:
    """Zero one square of ``ratio`` times the side per image, centred anywhere
    in the image (it may hang over the edge)."""
    batch, _, height, width = x.shape
    size_y, size_x = max(1, int(height * ratio)), max(1, int(width * ratio))
    cy = torch.randint(0, height, (batch, 1, 1), generator=generator, device=x.device)
    cx = torch.randint(0, width, (batch, 1, 1), generator=generator, device=x.device)
    rows = torch.arange(height, device=x.device)[None, :, None]
    cols = torch.arange(width, device=x.device)[None, None, :]
    top, left = cy - size_y // 2, cx - size_x // 2
    inside = (rows >= top) & (rows < top + size_y) & (cols >= left) & (cols < left + size_x)
    return x * (~inside).to(x.dtype)[:, None]


@MODELS.register_module()
class DiffAugment(nn.Module):
    """Random, differentiable transforms for a discriminator's inputs.

    Called on real and fake batches alike (separately: each image draws its
    own transform), before every discriminator, in both the discriminator's
    and the generator's losses. Differentiable in the images, so the
    generator's adversarial gradient passes through it.

    Args:
        policy: Transform families to apply, a subset of :data:`POLICIES`:
            ``'color'`` (brightness, saturation, contrast), ``'translation'``
            and ``'cutout'``.
        translation_ratio: Largest shift, as a fraction of the side (the
            paper's 1/8).
        cutout_ratio: Side of the zeroed square, as a fraction of the side
            (the paper's 1/2).
        prob: Probability that a batch is augmented at all; 1 always
            augments (the paper). Smaller values let the discriminator see
            the un-augmented distribution part of the time.
    """

    def __init__(self,
                 policy: Sequence[str] = POLICIES,
                 translation_ratio: float = 0.125,
                 cutout_ratio: float = 0.5,
                 prob: float = 1.0) -> None:
        super().__init__()
        policy = (policy, ) if isinstance(policy, str) else tuple(policy)
        unknown = set(policy) - set(POLICIES)
        if unknown or not policy:
            raise ValueError(f'DiffAugment.policy must be a non-empty subset of {POLICIES}, '
                             f'got {policy!r}')
        if not 0 <= translation_ratio < 0.5:
            raise ValueError(f'DiffAugment.translation_ratio must be in [0, 0.5), '
                             f'got {translation_ratio!r}')
        if not 0 < cutout_ratio < 1:
            raise ValueError(f'DiffAugment.cutout_ratio must be in (0, 1), got {cutout_ratio!r}')
        if not 0 < prob <= 1:
            raise ValueError(f'DiffAugment.prob must be in (0, 1], got {prob!r}')
        # Applied in POLICIES order whatever order the config lists them in.
        self.policy: Tuple[str, ...] = tuple(p for p in POLICIES if p in policy)
        self.translation_ratio = float(translation_ratio)
        self.cutout_ratio = float(cutout_ratio)
        self.prob = float(prob)

    def forward(self, x: torch.Tensor,
                generator: Optional[torch.Generator] = None) -> torch.Tensor:
        """Augment a ``(B, C, H, W)`` batch; ``generator`` fixes the draws (tests)."""
        if x.dim() != 4:
            raise ValueError(f'DiffAugment: images must be (B, C, H, W), got {tuple(x.shape)}')
        if len(x) == 0:
            return x
        if self.prob < 1 and float(torch.rand((), generator=generator)) >= self.prob:
            return x
        if 'color' in self.policy:
            x = random_contrast(random_saturation(random_brightness(x, generator), generator),
                                generator)
        if 'translation' in self.policy:
            x = random_translation(x, self.translation_ratio, generator)
        if 'cutout' in self.policy:
            x = random_cutout(x, self.cutout_ratio, generator)
        return x

    def extra_repr(self) -> str:
        return (f'policy={self.policy}, translation_ratio={self.translation_ratio}, '
                f'cutout_ratio={self.cutout_ratio}, prob={self.prob}')
