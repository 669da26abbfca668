from .cv import CVExperiment, CVSettings, run_cv
from .small_data import ARMS, ExperimentSettings, run_experiment

__all__ = ['ARMS', 'CVExperiment', 'CVSettings', 'ExperimentSettings', 'run_cv',
           'run_experiment']
