from .backbones import EfficientNetLite, EfficientNetLiteClassifier
from .data_preprocessors import *  # noqa: F401,F403
from .generators import LocalCropInserter, MaskedResnetGenerator
from .discriminators import LocalPatchDiscriminator, PatchDiscriminator
from .layers import ImagePool, PureRoIAlign, make_twice_differentiable
from .losses import GANLoss, PureSigmoidFocalLoss, R1Penalty
from .augmentations import DiffAugment
from .unroll import UnrollResult, functional_loss, unroll
from .detector_gan import DetectorGAN
