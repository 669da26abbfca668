"""Loading a config the way every mmdgan entry point does."""
import os.path as osp
from typing import Optional

from mmengine.config import Config


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
    cfg = Config.fromfile(path)
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
