from .efficientnet_lite import IMAGENET_INPUT, EfficientNetLite, EfficientNetLiteClassifier
from .pretrained import resolve_pretrained

__all__ = ['EfficientNetLite', 'EfficientNetLiteClassifier', 'IMAGENET_INPUT',
           'resolve_pretrained']
