"""Reading checkpoints with one-line errors that name them, and finding a sound one.

A run killed while ``torch.save`` writes leaves a truncated file; a resume
from it fails deep inside torch with a message that names no file. The
helpers here tell a truncated checkpoint from a sound one and pick the
newest sound checkpoint of a work dir to fall back to.
"""
import re
import zipfile
from pathlib import Path
from typing import Iterable, List, Optional

from .atomic import PathLike
from .checkpoint_compat import allow_mmengine_checkpoints

#: Checkpoint names mmengine's CheckpointHook writes, newest = highest number.
_NUMBERED = re.compile(r'^(iter|epoch)_(\d+)\.pth$')


def read_checkpoint(path: PathLike) -> dict:
    """Load a torch checkpoint to CPU.

    Raises:
        FileNotFoundError: ``path`` is not a file.
        ValueError: ``path`` is not a readable checkpoint (random bytes,
            truncated download, another format); torch's own errors here are
            as varied as ``IndexError`` and ``EOFError`` and name no file.
    """
    from mmengine.runner.checkpoint import CheckpointLoader

    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f'checkpoint not found: {path}')
    allow_mmengine_checkpoints()
    try:
        state = CheckpointLoader.load_checkpoint(str(path), map_location='cpu', logger='silent')
    except Exception as e:  # noqa: BLE001 - any failure means the same to the user
        reason = (str(e).strip().splitlines() or [''])[0][:120]
        raise ValueError(f'{path}: not a readable checkpoint ({type(e).__name__}'
                         f'{": " + reason if reason else ""})') from None
    if not isinstance(state, dict):
        raise ValueError(f'{path}: not a checkpoint (holds a {type(state).__name__}, not a dict)')
    return state


def checkpoint_problem(path: PathLike) -> Optional[str]:
    """Why ``path`` cannot be resumed from, or ``None`` if it is a complete checkpoint.

    A torch zip checkpoint is complete when its central directory (written
    last, at the end of the file) is there and lists the pickled state: a
    file cut short by a kill has none. That check reads a few kilobytes;
    any other file is loaded in full.
    """
    path = Path(path)
    if not path.is_file():
        return 'missing'
    if zipfile.is_zipfile(path):
        try:
            with zipfile.ZipFile(path) as archive:
                names = archive.namelist()
        except (zipfile.BadZipFile, OSError) as e:
            return f'truncated or corrupt ({e})'
        if not any(name.endswith('data.pkl') for name in names):
            return 'not a torch checkpoint (a zip without data.pkl)'
        return None
    try:
        read_checkpoint(path)
    except ValueError:
        return f'truncated or unreadable ({path.stat().st_size} bytes, not a complete torch file)'
    return None


def numbered_checkpoints(work_dir: PathLike) -> List[Path]:
    """The ``iter_N.pth`` / ``epoch_N.pth`` files of ``work_dir``, newest first."""
    found = [(int(m.group(2)), p) for p in Path(work_dir).glob('*.pth')
             if (m := _NUMBERED.match(p.name))]
    return [p for _, p in sorted(found, key=lambda item: item[0], reverse=True)]


def newest_sound_checkpoint(work_dir: PathLike,
                            skip: Iterable[PathLike] = ()) -> Optional[Path]:
    """The newest numbered checkpoint of ``work_dir`` that is complete, or ``None``.

    Args:
        work_dir: Folder of mmengine's CheckpointHook.
        skip: Files not to consider (the one already found broken).
    """
    skipped = {Path(p).resolve() for p in skip}
    for path in numbered_checkpoints(work_dir):
        if path.resolve() not in skipped and checkpoint_problem(path) is None:
            return path
    return None
