"""Publish a whole output folder at once: build it hidden, then rename it into place.

Dataset writers (converters, the demo generator, synthesis) fill a hidden
``.NAME.tmp-PID-XXXX`` folder beside the output. Only a complete folder is
renamed to ``NAME``; an exception removes it. A run killed outright cannot
clean up, so every run first removes the temp folders of runs whose process
is gone. Every published folder carries a marker file (:data:`MARKER`) saying
which kind of output it is; an existing output is replaced only when asked to
and only if it carries the marker of the same kind, so a folder a person made
by hand, however much it looks like a dataset, is never deleted.
"""
import json
import logging
import os
import shutil
import tempfile
from pathlib import Path
from typing import Callable, List, Optional

from .atomic import PathLike, apply_umask

logger = logging.getLogger(__name__)

#: Kinds of hidden sibling folders an :class:`OutputDir` creates.
_TEMP_KINDS = ('tmp', 'old')

#: File every :class:`OutputDir` writes into the folder it publishes: the
#: proof, checked before ``--overwrite`` deletes anything, that a tool of
#: this project wrote the folder.
MARKER = '.mmdgan-output.json'


def read_marker(path: PathLike) -> Optional[dict]:
    """The marker of folder ``path`` (``{'tool': 'mmdgan', 'kind': ...}``), or ``None``."""
    marker = Path(path) / MARKER
    try:
        content = json.loads(marker.read_text())
    except (OSError, ValueError):
        return None
    return content if isinstance(content, dict) and content.get('tool') == 'mmdgan' else None


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # someone else's process
        return True
    return True


def remove_stale_temp_dirs(out_dir: PathLike) -> List[Path]:
    """Remove the hidden temp folders of ``out_dir`` left by runs that died.

    Returns:
        The folders removed.
    """
    out_dir = Path(out_dir)
    removed = []
    if not out_dir.parent.is_dir():
        return removed
    for kind in _TEMP_KINDS:
        for path in out_dir.parent.glob(f'.{out_dir.name}.{kind}-*'):
            pid = path.name[len(f'.{out_dir.name}.{kind}-'):].split('-')[0]
            if pid.isdigit() and not _pid_alive(int(pid)) and path.is_dir():
                shutil.rmtree(path, ignore_errors=True)
                removed.append(path)
    return removed


def is_empty_dir(path: Path) -> bool:
    """Whether ``path`` is a folder with nothing in it."""
    return path.is_dir() and not any(path.iterdir())


def holds_only(path: Path, names: List[str], required: List[str]) -> bool:
    """Whether folder ``path`` has entries only among ``names`` and all of ``required``.

    The :data:`MARKER` of an :class:`OutputDir` does not count.
    """
    entries = {p.name for p in path.iterdir()} - {MARKER}
    return entries <= set(names) and set(required) <= entries


class OutputDir:
    """Context manager yielding a hidden temp folder that becomes ``out_dir``.

    Example:
        >>> with OutputDir('data/x', what='dataset folder') as tmp:
        ...     write_json_atomic(coco, tmp / 'train.json')

    Args:
        out_dir: The final folder.
        overwrite: Replace an existing ``out_dir`` (once the new one is complete).
        is_own: An extra check that an existing ``out_dir`` still has this
            tool's layout (beyond its :data:`MARKER`).
        what: What the folder is: recorded as the marker's ``kind`` and named
            in messages. Only a folder whose marker has the same kind is
            ever replaced; an empty folder always may be.
    """

    def __init__(self, out_dir: PathLike, overwrite: bool = False,
                 is_own: Optional[Callable[[Path], bool]] = None,
                 what: str = 'output folder') -> None:
        self.out_dir = Path(out_dir)
        self.overwrite = overwrite
        self.is_own = is_own
        self.what = what
        self.tmp: Optional[Path] = None
        self.check()

    def check(self) -> None:
        """Raise ``FileExistsError`` unless ``out_dir`` may be (re)placed."""
        out = self.out_dir
        if not out.exists() or is_empty_dir(out):
            return
        if not out.is_dir():
            raise FileExistsError(f'output exists and is not a folder: {out}')
        if not self.overwrite:
            raise FileExistsError(f'output exists: {out} (pass --overwrite to replace it)')
        marker = read_marker(out)
        if marker is None or marker.get('kind') != self.what:
            found = 'no' if marker is None else f'the {marker.get("kind")!r}'
            raise FileExistsError(f'refusing to replace {out}: it has {found} {MARKER} marker '
                                  f'of a {self.what} this project\'s tools wrote; remove it '
                                  'yourself or pick another --out')
        if self.is_own is not None and not self.is_own(out):
            raise FileExistsError(f'refusing to replace {out}: it holds files a {self.what} '
                                  'does not have; remove it yourself or pick another --out')

    def __enter__(self) -> Path:
        self.out_dir.parent.mkdir(parents=True, exist_ok=True)
        for path in remove_stale_temp_dirs(self.out_dir):
            logger.warning(f'removed {path}, left behind by an interrupted run')
        self.tmp = self._make_sibling('tmp')
        return self.tmp

    def _make_sibling(self, kind: str) -> Path:
        path = Path(tempfile.mkdtemp(prefix=f'.{self.out_dir.name}.{kind}-{os.getpid()}-',
                                     dir=self.out_dir.parent))
        apply_umask(path, directory=True)
        return path

    def __exit__(self, exc_type, exc, tb) -> None:
        tmp, self.tmp = self.tmp, None
        try:
            if exc_type is None:
                self._publish(tmp)
                tmp = None
        finally:
            if tmp is not None and tmp.exists():
                shutil.rmtree(tmp)

    def _publish(self, tmp: Path) -> None:
        """Rename the finished folder into place, replacing an old one last."""
        (tmp / MARKER).write_text(json.dumps(dict(tool='mmdgan', kind=self.what), indent=1,
                                             sort_keys=True))
        apply_umask(tmp / MARKER)
        old = None
        if self.out_dir.exists():
            self.check()
            old = self._make_sibling('old')
            os.replace(self.out_dir, old / 'data')
        os.replace(tmp, self.out_dir)
        if old is not None:
            shutil.rmtree(old)
