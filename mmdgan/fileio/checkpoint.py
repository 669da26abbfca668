"""Reading a checkpoint file with a one-line error that names it."""
from pathlib import Path

from .atomic import PathLike
from .checkpoint_compat import allow_mmengine_checkpoints


def read_checkpoint(path: PathLike) -> dict:
    """Load a torch checkpoint to CPU.

    Raises:
        FileNotFoundError: ``path`` is not a file.
        ValueError: ``path`` is not a readable checkpoint (random bytes,
            truncated download, another format); torch's own errors here are
            as varied as ``IndexError`` and ``EOFError`` and name no file.
    """
    from mmengine.runner.checkpoint import _load_checkpoint

    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f'checkpoint not found: {path}')
    allow_mmengine_checkpoints()
    try:
        state = _load_checkpoint(str(path), map_location='cpu', logger='silent')
    except Exception as e:  # noqa: BLE001 - any failure means the same to the user
        reason = (str(e).strip().splitlines() or [''])[0][:120]
        raise ValueError(f'{path}: not a readable checkpoint ({type(e).__name__}'
                         f'{": " + reason if reason else ""})') from None
    if not isinstance(state, dict):
        raise ValueError(f'{path}: not a checkpoint (holds a {type(state).__name__}, not a dict)')
    return state
