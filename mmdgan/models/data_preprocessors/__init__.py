from .unpaired_data_preprocessor import UnpairedDataPreprocessor, boxes_to_masks

__all__ = ['UnpairedDataPreprocessor', 'boxes_to_masks']
