"""Loading a config the way every mmdgan entry point does."""
import os.path as osp
from typing import Optional

from mmengine.config import Config


def load_config(path: str, cfg_options: Optional[dict] = None) -> Config:
    """Read ``path`` and apply ``--cfg-options`` overrides.

    Args:
        path: Config file.
        cfg_options: Dotted key -> value overrides (``--cfg-options``).

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
    return cfg
