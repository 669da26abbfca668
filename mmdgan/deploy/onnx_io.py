"""Loading and atomically saving ONNX files with one-line errors."""
from pathlib import Path
from typing import Union

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


def save_onnx_atomic(model: onnx.ModelProto, out: Union[str, Path]) -> None:
    """Check ``model`` and write it as one self-contained file, atomically.

    The model is written next to ``out`` under a temporary name and renamed,
    so a failure never leaves a partial file at ``out``.
    """
    onnx.checker.check_model(model)
    with atomic_path(out) as tmp:
        onnx.save(model, str(tmp))
