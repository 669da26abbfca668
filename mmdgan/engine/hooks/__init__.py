from .gan_visualization_hook import GANVisualizationHook
from .insertion_quality_hook import InsertionQualityHook

__all__ = ['GANVisualizationHook', 'InsertionQualityHook']
