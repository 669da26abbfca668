"""Let mmengine resume its own checkpoints on torch >= 2.6.

torch 2.6 made ``torch.load(weights_only=True)`` the default, and mmengine
0.10.x calls ``torch.load`` without the argument. Its checkpoints carry the
message hub (``HistoryBuffer``) and numpy scalars/arrays in ``meta``, which the
safe unpickler refuses. Rather than switching the check off, we allow-list
exactly the types mmengine writes; anything else is still refused.

One more obstacle: ``HistoryBuffer.__getstate__`` pickles its statistics
methods (``HistoryBuffer.min`` ...) through ``getattr``, which no safe
unpickler should allow. Those four defaults are re-registered by
``__setstate__`` anyway, so we pickle only custom-registered methods.
"""
import numpy as np
import torch


def _numpy_safe_globals() -> list:
    """Numpy reconstruction helpers and dtype classes used by pickled arrays."""
    safe = [np.ndarray, np.dtype]
    try:  # numpy >= 2 moved the pickling helpers to ``numpy._core``.
        from numpy._core.multiarray import _reconstruct, scalar
    except ImportError:  # pragma: no cover - numpy 1.x
        from numpy.core.multiarray import _reconstruct, scalar
    safe += [_reconstruct, scalar]
    # ``np.dtype(np.float64)`` pickles as its concrete class (``Float64DType``).
    safe += [type(np.dtype(t)) for t in np.sctypeDict.values()]
    return safe


_DEFAULT_STATISTICS = ('min', 'max', 'current', 'mean')


def _history_buffer_getstate(self) -> dict:
    """``HistoryBuffer.__getstate__`` without the default statistics methods.

    Unlike mmengine's version it also leaves ``self.__dict__`` untouched.
    """
    state = dict(self.__dict__)
    custom = {name: method for name, method in self._statistics_methods.items()
              if name not in _DEFAULT_STATISTICS}
    if custom:
        state['statistics_methods'] = custom
    return state


def allow_mmengine_checkpoints() -> None:
    """Allow-list mmengine's own checkpoint types for ``weights_only`` loading.

    Idempotent; a no-op on torch versions without ``add_safe_globals``.
    """
    if not hasattr(torch.serialization, 'add_safe_globals'):
        return
    from mmengine.logging import HistoryBuffer
    from mmengine.logging.message_hub import MessageHub

    HistoryBuffer.__getstate__ = _history_buffer_getstate
    torch.serialization.add_safe_globals(
        [HistoryBuffer, MessageHub, *_numpy_safe_globals()])
