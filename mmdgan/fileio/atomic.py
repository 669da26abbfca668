"""The one way mmdgan writes a file: a temporary name in the same folder, then a rename.

A reader never sees a half-written file, and an interrupted write leaves
nothing at the destination. ``tempfile`` creates its files owner-only
(0600); the finished file gets the permissions the user's umask gives any
new file, as a plain ``open`` would.
"""
import json
import os
import tempfile
import threading
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator, Union

PathLike = Union[str, os.PathLike]

_umask_lock = threading.Lock()


def current_umask() -> int:
    """The process umask (read by setting it and putting it back)."""
    with _umask_lock:
        mask = os.umask(0o077)
        os.umask(mask)
    return mask


def apply_umask(path: PathLike, directory: bool = False) -> None:
    """Give ``path`` the mode a new file (0666) or folder (0777) gets under the umask."""
    os.chmod(path, (0o777 if directory else 0o666) & ~current_umask())


@contextmanager
def atomic_path(path: PathLike) -> Iterator[Path]:
    """Yield a temporary path beside ``path``; rename it into place on success.

    The temporary name keeps ``path``'s suffix, so writers that pick the
    format from the name (``cv2.imwrite``, ``savefig``) still work. On any
    exception the temporary file is removed and ``path`` is untouched.

    Example:
        >>> with atomic_path('out/model.onnx') as tmp:
        ...     onnx.save(model, str(tmp))
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f'.{path.name}.', suffix=f'.tmp{path.suffix}',
                               dir=path.parent)
    os.close(fd)
    try:
        yield Path(tmp)
        apply_umask(tmp)
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.remove(tmp)


def write_bytes_atomic(data: bytes, path: PathLike) -> None:
    """Write ``data`` to ``path`` atomically."""
    with atomic_path(path) as tmp:
        tmp.write_bytes(data)


def write_text_atomic(text: str, path: PathLike) -> None:
    """Write ``text`` to ``path`` atomically."""
    write_bytes_atomic(text.encode(), path)


def write_json_atomic(obj, path: PathLike) -> None:
    """Write ``obj`` as json (indent 1, sorted keys) to ``path`` atomically."""
    write_text_atomic(json.dumps(obj, indent=1, sort_keys=True), path)
