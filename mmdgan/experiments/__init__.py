"""The cross-validated comparison: experiment configs in, unit files and a report out."""
from .arms import ARMS, DEFAULT_ARMS
from .experiment import CVExperiment
from .plan import DetUnit, Plan, Source
from .settings import CVSettings, load_experiment

__all__ = ['ARMS', 'CVExperiment', 'CVSettings', 'DEFAULT_ARMS', 'DetUnit', 'Plan', 'Source',
           'load_experiment']
