from .masked_resnet_generator import MaskedResnetGenerator

__all__ = ['MaskedResnetGenerator']
