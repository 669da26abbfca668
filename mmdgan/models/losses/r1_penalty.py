"""R1 gradient penalty on real inputs of a discriminator."""
from typing import Callable

import torch
import torch.nn as nn

from mmdgan.registry import MODELS


@MODELS.register_module()
class R1Penalty(nn.Module):
    """``gamma / 2 * E ||grad_x D(x)||^2`` on real ``x`` (Mescheder et al. 2018).

    ``D(x)`` is one score per image: the mean of a patch discriminator's map.

    Penalising the discriminator's slope on the real data keeps it from
    carving sharp peaks around the few real objects it has seen, a regulariser
    the small-data GAN literature (StyleGAN2-ADA) pairs with augmentation.
    Lazy regularisation (StyleGAN2): computed every ``interval`` discriminator
    steps only and multiplied by ``interval``, so its expected weight is
    unchanged at a fraction of the cost (a double backward through the
    discriminator).

    Args:
        gamma: Weight of the penalty.
        interval: Compute it every this many iterations (1: every one).
    """

    def __init__(self, gamma: float = 1.0, interval: int = 1) -> None:
        super().__init__()
        if not (isinstance(gamma, (int, float)) and gamma > 0):
            raise ValueError(f'R1Penalty.gamma must be a number > 0, got {gamma!r}')
        if int(interval) != interval or interval < 1:
            raise ValueError(f'R1Penalty.interval must be an int >= 1, got {interval!r}')
        self.gamma = float(gamma)
        self.interval = int(interval)

    def due(self, iteration: int) -> bool:
        """Whether the (lazy) penalty is computed at ``iteration``."""
        return iteration % self.interval == 0

    def forward(self, disc: Callable[[torch.Tensor], torch.Tensor],
                real: torch.Tensor) -> torch.Tensor:
        """The weighted penalty of ``disc`` at ``real``.

        Args:
            disc: The discriminator as the losses call it (with its input
                augmentation, as StyleGAN2-ADA does), any callable giving
                logits or scores.
            real: Real inputs before augmentation; detached here, the
                gradient is taken w.r.t. a leaf copy.

        Returns:
            Scalar, differentiable w.r.t. the discriminator's parameters.
        """
        real = real.detach().requires_grad_(True)
        scores = disc(real)
        # One score per image, the mean of a PatchGAN's map: the penalty then does not grow
        # with the number of patches (summing them would scale it by the map's size).
        per_image = scores.flatten(1).mean(1) if scores.dim() > 1 else scores
        (grad, ) = torch.autograd.grad(per_image.sum(), real, create_graph=True)
        penalty = grad.pow(2).flatten(1).sum(1).mean()
        return 0.5 * self.gamma * self.interval * penalty

    def extra_repr(self) -> str:
        return f'gamma={self.gamma}, interval={self.interval}'
