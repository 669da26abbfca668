from .small_data import ARMS, ExperimentSettings, run_experiment

__all__ = ['ARMS', 'ExperimentSettings', 'run_experiment']
