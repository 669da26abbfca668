"""An mmdet model-zoo detector in the DetectorGAN loop (or as the downstream detector).

A config cannot list an mmdet config among its ``_base_`` files next to the
project's: both define ``model``, the dataloaders, the schedule and the
runtime, and mmengine refuses keys that two bases share ("Duplicate key is
not allowed among bases"); the mmdet config's ``default_scope='mmdet'``
would also hide the project's modules. So a config inherits the project's
bases as usual and names the zoo detector by one key::

    _base_ = './dgan_retinanet-effnet-lite0_local-crop_1xb4-2k_custom.py'
    detector_config = 'mmdet::faster_rcnn/faster-rcnn_r50_fpn_1x_coco.py'
    detector_init_cfg = None  # or dict(type='Pretrained', checkpoint='/local/r50.pth')

:func:`resolve_model_zoo_detector` (run by every mmdgan entry point with the
other config resolution) takes only that config's ``model`` and puts it where
the detector goes: ``model.detector`` of a DetectorGAN, else ``model``.
Nothing is downloaded: a backbone initialised from ``torchvision://``,
``open-mmlab://`` or a URL is refused with one line unless
``detector_init_cfg`` replaces it (``None``: from scratch, or a local file).
"""
import os.path as osp
from typing import Any

from mmengine.config import Config, ConfigDict

from .config import config_fromfile

#: Checkpoint prefixes that would be fetched from the network.
DOWNLOADS = ('torchvision://', 'open-mmlab://', 'openmmlab://', 'mmcls://', 'http://',
             'https://')
_UNSET = object()


def _downloads(node: Any, where: str = 'model') -> list:
    """``(place, checkpoint)`` of every network checkpoint in an ``init_cfg`` of ``node``."""
    found = []
    if isinstance(node, dict):
        init = node.get('init_cfg')
        for cfg in (init if isinstance(init, (list, tuple)) else [init]):
            ckpt = cfg.get('checkpoint') if isinstance(cfg, dict) else None
            if isinstance(ckpt, str) and ckpt.startswith(DOWNLOADS):
                found.append((f'{where}.init_cfg', ckpt))
        for key, value in node.items():
            if key != 'init_cfg':
                found += _downloads(value, f'{where}.{key}')
    elif isinstance(node, (list, tuple)):
        for i, value in enumerate(node):
            found += _downloads(value, f'{where}.{i}')
    return found


def zoo_config_path(source: str) -> str:
    """The file of ``'pkg::dir/name.py'`` (the configs an OpenMMLab package ships,
    as ``_base_`` resolves them), or ``source`` itself when it is a path."""
    if '::' not in source:
        return source
    package, rel = source.split('::', 1)
    from mmengine.utils import get_installed_path
    try:
        root = get_installed_path(package)
    except Exception:  # not installed: named below as a missing file
        return source
    return osp.join(root, '.mim', 'configs', rel)


def resolve_model_zoo_detector(cfg: Config) -> Config:
    """Replace the detector by the ``model`` of ``cfg.detector_config`` (in place).

    Configs without ``detector_config`` are returned untouched.

    Raises:
        FileNotFoundError: ``detector_config`` names no config.
        ValueError: Its weights would be downloaded (named with the key to set).
    """
    source = cfg.get('detector_config')
    if not source:
        return cfg
    path = zoo_config_path(source)
    if not osp.isfile(path):
        raise FileNotFoundError(f'detector_config: {source} not found ({path})')
    zoo = config_fromfile(path)
    if 'model' not in zoo:
        raise ValueError(f'detector_config: {source} defines no model')
    detector = ConfigDict(zoo.model.to_dict())
    init = cfg.get('detector_init_cfg', _UNSET)
    if init is not _UNSET and 'backbone' in detector:
        detector.backbone.init_cfg = init
    downloads = _downloads(detector, 'detector')
    if downloads:
        place, ckpt = downloads[0]
        raise ValueError(f'detector_config: {source} initialises {place} from {ckpt}, which '
                         'would be downloaded; set detector_init_cfg = None (from scratch) or '
                         "dict(type='Pretrained', checkpoint='/local/file.pth')")
    if cfg.model.get('type') == 'DetectorGAN':
        cfg.model.detector = detector
    else:
        cfg.model = detector
    return cfg
