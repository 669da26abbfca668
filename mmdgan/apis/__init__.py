"""The top layer: entry points that combine synthesis with a backend (PyTorch or ONNX Runtime).

The inserter interface itself (``TorchInserter``, ``load_generator``,
``save_generator``, ``check_inputs``) lives in :mod:`mmdgan.synthesis.inserter`, below both
``apis`` and ``deploy``, so that imports run one way: apis -> deploy -> synthesis.
``mmdgan.apis.synthesize`` (the module) holds the backend choice.
"""
from mmdgan.synthesis.inserter import (GENERATOR_KEYS, TorchInserter, check_inputs, load_generator,
                                       save_generator)

__all__ = ['GENERATOR_KEYS', 'TorchInserter', 'check_inputs', 'load_generator', 'save_generator']
