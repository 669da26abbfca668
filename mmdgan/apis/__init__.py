from .inserter import GENERATOR_KEYS, TorchInserter, check_inputs, load_generator

__all__ = ['GENERATOR_KEYS', 'TorchInserter', 'check_inputs', 'load_generator']
