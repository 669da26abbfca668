from .gan_visualization_hook import GANVisualizationHook

__all__ = ['GANVisualizationHook']
