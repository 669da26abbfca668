from .sample_insertion_boxes import SampleInsertionBoxes

__all__ = ['SampleInsertionBoxes']
