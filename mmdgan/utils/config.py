"""Loading a config the way every mmdgan entry point does."""
import os.path as osp
import threading
from typing import Optional

from mmengine.config import Config

#: Held while mmengine parses a config file. CPython 3.11's ``ast.parse`` is not
#: thread-safe (python/cpython#106905): two threads parsing at once fail with
#: "AST constructor recursion depth mismatch", which the cross-validation
#: runner's local workers (threads of one process) hit on 7 Dec.
PARSE_LOCK = threading.RLock()


def config_fromfile(path: str) -> Config:
    """``Config.fromfile`` under :data:`PARSE_LOCK`."""
    with PARSE_LOCK:
        return Config.fromfile(path)


def load_config(path: str, cfg_options: Optional[dict] = None, resolve: bool = True) -> Config:
    """Read ``path``, apply ``--cfg-options`` overrides, resolve it against its data.

    Then :func:`resolve_config`: a model-zoo detector named by
    ``detector_config`` is put in, and a generic config (``dataset_meta =
    'auto'``, ``configs/*_custom.py``) is filled in from its ``data_root``
    folder: classes, channels, image size, insertion region.

    Args:
        path: Config file.
        cfg_options: Dotted key -> value overrides (``--cfg-options``).
        resolve: Resolve a generic config against its data (``False``: for a
            caller that merges more overrides first, then resolves itself).

    Returns:
        The merged config.

    Raises:
        FileNotFoundError: ``path`` is not a file (named in the message, before
            mmengine tries to parse it).
    """
    if not osp.isfile(path):
        raise FileNotFoundError(f'config file not found: {path}')
    cfg = config_fromfile(path)
    if cfg_options:
        cfg.merge_from_dict(cfg_options)
    return resolve_config(cfg) if resolve else cfg


def resolve_config(cfg: Config) -> Config:
    """What a config leaves to be looked up, in place: an mmdet model-zoo detector
    (``detector_config``, :mod:`mmdgan.utils.model_zoo`), then a generic
    config's classes, channels and image size from its data
    (``dataset_meta='auto'``, :mod:`mmdgan.utils.config_from_data`)."""
    from .config_from_data import apply_dataset_meta
    from .model_zoo import resolve_model_zoo_detector
    return apply_dataset_meta(resolve_model_zoo_detector(cfg))
