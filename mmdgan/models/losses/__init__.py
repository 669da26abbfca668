from .gan_loss import GANLoss
from .pure_focal_loss import PureSigmoidFocalLoss

__all__ = ['GANLoss', 'PureSigmoidFocalLoss']
