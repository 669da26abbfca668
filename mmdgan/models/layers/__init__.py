from .roi_crop import PureRoIAlign, boxes_to_rois, crop_and_resize, roi_align
from .twice_differentiable import make_twice_differentiable

__all__ = ['PureRoIAlign', 'boxes_to_rois', 'crop_and_resize', 'roi_align',
           'make_twice_differentiable']
