from .localization_accuracy import LocalizationAccuracy, box_iou

__all__ = ['LocalizationAccuracy', 'box_iou']
