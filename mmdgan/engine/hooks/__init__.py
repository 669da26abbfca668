from .finite_weights_hook import FiniteWeightsHook
from .gan_visualization_hook import GANVisualizationHook

__all__ = ['FiniteWeightsHook', 'GANVisualizationHook']
