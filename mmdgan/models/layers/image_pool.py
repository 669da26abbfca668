"""A pool of recent fakes for the discriminators (CycleGAN's image buffer)."""
from typing import Any, List

import torch
import torch.nn as nn

#: Chance that a query returns a stored fake (and stores the new one in its place).
SWAP_PROB = 0.5


class ImagePool(nn.Module):
    """Update discriminators from a history of fakes, not only the latest batch.

    As in CycleGAN (Shrivastava et al. 2017; mmagic's ``GANImageBuffer``):
    until ``size`` fakes are stored each new one is stored and returned; then
    each new fake is, with probability 1/2, swapped for a random stored one
    (which is returned instead), else returned as it is. ``size=0`` returns
    the batch unchanged.

    The stored fakes and the query count are part of the state dict (the
    fakes as ``_extra_state``), and every query draws from its own generator
    seeded by ``(seed, query count)``, so a resumed run picks exactly what an
    uninterrupted one would.

    Args:
        size: Fakes kept (0: off).
        seed: Base seed of the draws; pools of one model use different ones.
    """

    def __init__(self, size: int = 50, seed: int = 0) -> None:
        super().__init__()
        if int(size) != size or size < 0:
            raise ValueError(f'pool size must be an int >= 0, got {size!r}')
        self.size = int(size)
        self.seed = int(seed)
        self.images: List[torch.Tensor] = []
        self.register_buffer('queries', torch.zeros((), dtype=torch.long))

    def forward(self, images: torch.Tensor) -> torch.Tensor:
        """Return as many (detached) fakes as ``images`` holds, drawn as above."""
        images = images.detach()
        if self.size == 0:
            return images
        if self.images and images.shape[1:] != self.images[0].shape:
            raise ValueError(f'ImagePool: fakes of shape {tuple(images.shape[1:])}, the pool '
                             f'holds {tuple(self.images[0].shape)}; pooled fakes must share '
                             'one size (resize the data to a fixed size)')
        generator = torch.Generator().manual_seed(self.seed * 1_000_003 + int(self.queries))
        self.queries += 1
        out = []
        for image in images:
            if len(self.images) < self.size:
                self.images.append(image.clone())
                out.append(image)
            elif float(torch.rand((), generator=generator)) < SWAP_PROB:
                index = int(torch.randint(self.size, (), generator=generator))
                out.append(self.images[index].to(image.device))
                self.images[index] = image.clone()
            else:
                out.append(image)
        return torch.stack(out)

    def get_extra_state(self) -> torch.Tensor:
        # One tensor (mmengine copies every state-dict value with ``.cpu()``).
        if not self.images:
            return torch.zeros(0)
        return torch.stack(self.images)

    def set_extra_state(self, state: Any) -> None:
        if not isinstance(state, torch.Tensor):
            raise ValueError(f'ImagePool: checkpoint holds a {type(state).__name__}, '
                             'expected a tensor of stored fakes')
        if state.numel() and len(state) > self.size:
            raise ValueError(f'ImagePool: checkpoint holds {len(state)} fakes, the pool '
                             f'size is {self.size}')
        self.images = list(state.clone()) if state.numel() else []

    def extra_repr(self) -> str:
        return f'size={self.size}, seed={self.seed}, stored={len(self.images)}'
