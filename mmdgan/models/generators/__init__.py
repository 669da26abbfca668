from .local_crop_inserter import LocalCropInserter, with_local_crop
from .masked_resnet_generator import MaskedResnetGenerator, blend_weight

__all__ = ['LocalCropInserter', 'MaskedResnetGenerator', 'blend_weight', 'with_local_crop']
