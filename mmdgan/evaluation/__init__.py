from .evaluate import build_test_config, evaluate
from .metrics import LocalizationAccuracy, box_iou

__all__ = ['LocalizationAccuracy', 'box_iou', 'build_test_config', 'evaluate']
