"""Loading a config the way every mmdgan entry point does."""
import os.path as osp
from typing import Optional

from mmengine.config import Config


def load_config(path: str, cfg_options: Optional[dict] = None, resolve: bool = True) -> Config:
    """Read ``path``, apply ``--cfg-options`` overrides, resolve it against its data.

    A generic config (``dataset_meta = 'auto'``, ``configs/*_custom.py``) is
    then filled in from its ``data_root`` folder: classes, channels, image
    size, insertion region (:func:`mmdgan.datasets.config_from_data.apply_dataset_meta`).

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
    if not resolve:
        return cfg
    from mmdgan.datasets.config_from_data import apply_dataset_meta
    return apply_dataset_meta(cfg)
