from .gan_loss import GANLoss
from .pure_focal_loss import PureSigmoidFocalLoss
from .r1_penalty import R1Penalty

__all__ = ['GANLoss', 'PureSigmoidFocalLoss', 'R1Penalty']
