from .context_window import context_windows, crop_windows, insert_in_windows, paste_windows
from .image_pool import ImagePool
from .roi_crop import PureRoIAlign, boxes_to_rois, crop_and_resize, roi_align
from .twice_differentiable import make_twice_differentiable

__all__ = ['ImagePool', 'PureRoIAlign', 'boxes_to_rois', 'context_windows', 'crop_and_resize',
           'crop_windows', 'insert_in_windows', 'make_twice_differentiable', 'paste_windows',
           'roi_align']
