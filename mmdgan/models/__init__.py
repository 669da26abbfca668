from .backbones import EfficientNetLite, EfficientNetLiteClassifier
from .data_preprocessors import *  # noqa: F401,F403
from .generators import MaskedResnetGenerator
from .discriminators import LocalPatchDiscriminator, PatchDiscriminator
from .layers import PureRoIAlign, make_twice_differentiable
from .losses import GANLoss, PureSigmoidFocalLoss
from .unroll import UnrollResult, unroll
from .detector_gan import DetectorGAN
