"""Let torch >= 2.6 load mmengine's own checkpoints with ``weights_only=True``.

torch 2.6 made ``torch.load(weights_only=True)`` the default, and mmengine
0.10.x calls ``torch.load`` without the argument. Its checkpoints carry the
message hub (``HistoryBuffer``) and numpy scalars/arrays in ``meta``, which the
safe unpickler refuses. Rather than switching the check off, we allow-list
exactly the types mmengine writes; anything else is still refused.

One more obstacle: ``HistoryBuffer.__getstate__`` pickles its statistics
methods (``HistoryBuffer.min`` ...), which pickle protocol 2 (torch's) writes
as ``getattr(HistoryBuffer, 'min')``: no safe unpickler may call ``getattr``.
``HistoryBuffer.__setstate__`` registers those four defaults again anyway, so
a reducer registered with :mod:`copyreg` (the standard library's hook for
pickling a class one does not own) leaves them out; mmengine's class itself is
not modified, and its own ``__setstate__`` restores such a pickle.

Nothing happens on ``import mmdgan``: the checkpoint readers and runners of
mmdgan call :func:`allow_mmengine_checkpoints` before they load or save.
"""
import copyreg

import numpy as np
import torch

_DEFAULT_STATISTICS = ('min', 'max', 'current', 'mean')


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


def _reduce_history_buffer(buffer) -> tuple:
    """Pickle a ``HistoryBuffer`` as mmengine does, less the default statistics methods.

    Returns:
        ``(copyreg.__newobj__, (cls,), state)``: the object is rebuilt by
        ``cls.__new__`` and mmengine's own ``__setstate__(state)``.
    """
    state = dict(buffer.__dict__)
    custom = {name: method for name, method in buffer._statistics_methods.items()
              if name not in _DEFAULT_STATISTICS}
    if custom:
        state['statistics_methods'] = custom
    return copyreg.__newobj__, (type(buffer), ), state


def allow_mmengine_checkpoints() -> None:
    """Allow-list mmengine's checkpoint types for ``weights_only`` loading and
    pickle ``HistoryBuffer`` without ``getattr`` calls.

    Idempotent; the allow-list part is a no-op on torch versions without
    ``add_safe_globals``.
    """
    from mmengine.logging import HistoryBuffer
    from mmengine.logging.message_hub import MessageHub

    copyreg.pickle(HistoryBuffer, _reduce_history_buffer)
    if hasattr(torch.serialization, 'add_safe_globals'):
        torch.serialization.add_safe_globals(
            [HistoryBuffer, MessageHub, *_numpy_safe_globals()])
