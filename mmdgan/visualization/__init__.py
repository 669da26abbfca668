"""Figures that show what the data and the models do (not part of any pipeline)."""
from .browser import browse_dataset, draw_sample
from .region_figure import region_figure

__all__ = ['browse_dataset', 'draw_sample', 'region_figure']
