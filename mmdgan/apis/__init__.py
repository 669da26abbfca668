from .inserter import GENERATOR_KEYS, TorchInserter, load_generator

__all__ = ['GENERATOR_KEYS', 'TorchInserter', 'load_generator']
