from .finite_weights_hook import FiniteWeightsHook
from .gan_visualization_hook import GANVisualizationHook
from .init_from_optimizer_hook import InitFromOptimizerHook
from .insertion_quality_hook import InsertionQualityHook
from .planned_cost_hook import PlannedCostHook

__all__ = ['FiniteWeightsHook', 'GANVisualizationHook', 'InitFromOptimizerHook',
           'InsertionQualityHook', 'PlannedCostHook']
