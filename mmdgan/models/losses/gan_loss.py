"""Adversarial loss with the usual GAN objectives."""
import torch
import torch.nn as nn
import torch.nn.functional as F

from mmdgan.registry import MODELS


@MODELS.register_module()
class GANLoss(nn.Module):
    """Adversarial loss on raw discriminator outputs (logits / scores).

    * ``'lsgan'``: mean squared error to the real / fake label.
    * ``'vanilla'``: binary cross entropy with logits to the real / fake label.
    * ``'hinge'``: discriminator ``mean(relu(1 - pred))`` on real and
      ``mean(relu(1 + pred))`` on fake; generator ``-mean(pred)``.

    As in mmagic, ``loss_weight`` scales the generator's loss only
    (``is_disc=False``); the discriminator's loss is returned unweighted.

    Args:
        gan_type: ``'lsgan'``, ``'vanilla'`` or ``'hinge'``.
        real_label: Target for real samples (lsgan / vanilla).
        fake_label: Target for fake samples (lsgan / vanilla).
        loss_weight: Weight of the generator's loss.
    """

    GAN_TYPES = ('lsgan', 'vanilla', 'hinge')

    def __init__(self,
                 gan_type: str = 'lsgan',
                 real_label: float = 1.0,
                 fake_label: float = 0.0,
                 loss_weight: float = 1.0) -> None:
        super().__init__()
        if gan_type not in self.GAN_TYPES:
            raise ValueError(f'gan_type must be one of {self.GAN_TYPES}, got {gan_type!r}')
        self.gan_type = gan_type
        self.real_label = float(real_label)
        self.fake_label = float(fake_label)
        self.loss_weight = float(loss_weight)

    def forward(self, pred: torch.Tensor, target_is_real: bool,
                is_disc: bool = False) -> torch.Tensor:
        """Loss of discriminator output ``pred``.

        Args:
            pred: Discriminator output of any shape (e.g. PatchGAN maps).
            target_is_real: Whether ``pred`` should be judged real.
            is_disc: Loss for the discriminator update (changes hinge, and
                disables ``loss_weight``).

        Returns:
            Scalar loss.
        """
        if not isinstance(pred, torch.Tensor) or pred.numel() == 0:
            raise ValueError('GANLoss: pred must be a non-empty tensor')
        if self.gan_type == 'hinge':
            if is_disc:
                loss = F.relu(1 - pred if target_is_real else 1 + pred).mean()
            elif target_is_real:
                loss = -pred.mean()
            else:
                raise ValueError('GANLoss: the hinge generator loss needs target_is_real=True')
        else:
            target = torch.full_like(pred, self.real_label if target_is_real else self.fake_label)
            if self.gan_type == 'lsgan':
                loss = F.mse_loss(pred, target)
            else:
                loss = F.binary_cross_entropy_with_logits(pred, target)
        return loss if is_disc else loss * self.loss_weight

    def extra_repr(self) -> str:
        return f'gan_type={self.gan_type!r}, loss_weight={self.loss_weight}'
