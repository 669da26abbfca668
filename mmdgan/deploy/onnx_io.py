"""Loading and atomically saving ONNX files with one-line errors."""
import os
from pathlib import Path
from typing import Sequence, Union

import onnx
from google.protobuf.message import DecodeError

from mmdgan.fileio import atomic_path


def load_onnx(path: Union[str, Path]) -> onnx.ModelProto:
    """Load an ONNX file (weights included).

    Raises:
        FileNotFoundError: If ``path`` does not exist.
        ValueError: If ``path`` is not an ONNX model.
    """
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f'ONNX model not found: {path}')
    try:
        model = onnx.load(str(path))
    except (DecodeError, RuntimeError, ValueError, OSError) as exc:
        raise ValueError(f'{path}: not an ONNX model ({type(exc).__name__})') from None
    if not model.graph.node:
        raise ValueError(f'{path}: not an ONNX model (no graph nodes)')
    return model


def check_onnx_out(out: Union[str, Path], overwrite: bool = True,
                   inputs: Sequence[Union[str, Path]] = ()) -> None:
    """Refuse an ``--out`` that would replace what the user did not ask to replace.

    Called before any work, so a refusal costs nothing.

    Args:
        out: Destination file.
        overwrite: Whether an existing file at ``out`` may be replaced.
        inputs: Files the tool reads; ``out`` must be none of them (writing
            the result over its own input destroys the model it came from).

    Raises:
        ValueError: ``out`` is a folder, or one of ``inputs``.
        FileExistsError: ``out`` exists and ``overwrite`` is false.
    """
    out = Path(out)
    if out.is_dir():
        raise ValueError(f'--out {out} is a folder; give the .onnx file to write')
    for src in inputs:
        if os.path.abspath(src) == os.path.abspath(out) or (
                out.exists() and Path(src).exists() and os.path.samefile(src, out)):
            raise ValueError(f'--out {out} is the input model itself; write to another file')
    if out.exists() and not overwrite:
        raise FileExistsError(f'output exists: {out} (pass --overwrite to replace it)')


def save_onnx_atomic(model: onnx.ModelProto, out: Union[str, Path]) -> None:
    """Check ``model`` and write it as one self-contained file, atomically.

    The model is written next to ``out`` under a temporary name and renamed,
    so a failure never leaves a partial file at ``out``.
    """
    onnx.checker.check_model(model)
    with atomic_path(out) as tmp:
        onnx.save(model, str(tmp))
