"""Data structures shared by training, synthesis and deployment."""
from .box_masks import (
    MASK_SHAPES,
    boxes_to_masks,
    check_mask_shape,
    class_masks,
    mask_shape_from_config,
    rasterize_boxes,
    rasterize_class_boxes,
)

__all__ = ['MASK_SHAPES', 'boxes_to_masks', 'check_mask_shape', 'class_masks',
           'mask_shape_from_config', 'rasterize_boxes', 'rasterize_class_boxes']
