"""Reading and writing images with errors that name the file."""
import os
from pathlib import Path

import cv2
import numpy as np

from .atomic import PathLike, write_bytes_atomic


def read_image(path: PathLike, flags: int = cv2.IMREAD_UNCHANGED) -> np.ndarray:
    """Read an image, naming the file if it is missing or unreadable."""
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f'image not found: {path}')
    img = cv2.imread(str(path), flags)
    if img is None:
        raise ValueError(f'could not decode image: {path}')
    return img


def write_image_atomic(img: np.ndarray, path: PathLike) -> None:
    """Encode ``img`` with cv2 (format from the suffix) and write it atomically."""
    ok, buf = cv2.imencode(os.path.splitext(str(path))[1] or '.png', img)
    if not ok:
        raise OSError(f'could not encode image {path}')
    write_bytes_atomic(buf.tobytes(), path)
