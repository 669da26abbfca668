"""The config every mmengine runner of mmdgan starts from (train, test, timing)."""
import os.path as osp
from typing import Optional

import torch
from mmengine.config import Config

from .config import load_config

#: Model wrapper for DetectorGAN under DDP: each module is wrapped on its own,
#: so the unroll can call ``autograd.grad`` on the bare detector.
SEPARATE_DDP = dict(type='MMSeparateDistributedDataParallel', broadcast_buffers=False,
                    find_unused_parameters=True)


def is_detector_gan(cfg: Config) -> bool:
    """Whether ``cfg.model`` describes a DetectorGAN."""
    return str(cfg.get('model', {}).get('type', '')).split('.')[-1] == 'DetectorGAN'


def enable_amp(cfg: Config) -> None:
    """Switch every optim wrapper of ``cfg`` to ``AmpOptimWrapper``.

    A DetectorGAN has one optim wrapper per group, each with its own gradient
    scaler; a plain config has a single one.
    """
    optim = cfg.get('optim_wrapper')
    if optim is None:
        raise ValueError('--amp: the config has no optim_wrapper')
    groups = [optim] if 'optimizer' in optim else [
        v for k, v in optim.items() if k not in ('constructor', 'paramwise_cfg')]
    for group in groups:
        if group.get('type', 'OptimWrapper') == 'AmpOptimWrapper':
            continue
        if group.get('type', 'OptimWrapper') != 'OptimWrapper':
            raise ValueError(f'--amp: cannot turn optim wrapper type {group["type"]!r} '
                             'into AmpOptimWrapper')
        group['type'] = 'AmpOptimWrapper'
        group.setdefault('loss_scale', 'dynamic')


def build_runner_config(config: str,
                       work_dir: Optional[str] = None,
                       resume: Optional[str] = None,
                       amp: bool = False,
                       cfg_options: Optional[dict] = None,
                       launcher: str = 'none') -> Config:
    """Load ``config`` and apply the command-line overrides, mmdet style.

    The one way every runner of mmdgan (training, testing, step timing) gets
    its config: same loading, overrides, ``work_dir`` default and CPU
    launcher fixes.

    Args:
        config: Config file path.
        work_dir: Overrides ``cfg.work_dir``; default ``./work_dirs/<config name>``.
        resume: ``'auto'`` resumes from the latest checkpoint in the work dir
            (if any), a path resumes from that checkpoint, ``None`` starts anew.
        amp: Train with ``AmpOptimWrapper`` in every optimizer group.
        cfg_options: Dotted key -> value overrides.
        launcher: ``none``, ``pytorch``, ``slurm`` or ``mpi``.

    Returns:
        The ready config.
    """
    cfg = load_config(config, cfg_options)
    cfg.launcher = launcher
    if work_dir is not None:
        cfg.work_dir = work_dir
    elif cfg.get('work_dir') is None:
        cfg.work_dir = osp.join('./work_dirs', osp.splitext(osp.basename(config))[0])
    if amp:
        enable_amp(cfg)
    if resume == 'auto':
        cfg.resume = True
        cfg.load_from = None
    elif resume is not None:
        if not osp.isfile(resume):
            raise FileNotFoundError(f'--resume checkpoint not found: {resume}')
        cfg.resume = True
        cfg.load_from = resume
    if launcher != 'none' and is_detector_gan(cfg) and cfg.get('model_wrapper_cfg') is None:
        cfg.model_wrapper_cfg = dict(SEPARATE_DDP)
    if launcher != 'none' and not torch.cuda.is_available():
        # mmengine's DDP defaults (device_ids=[local_rank], nccl) are GPU-only.
        cfg.setdefault('env_cfg', {}).setdefault('dist_cfg', {})['backend'] = 'gloo'
        if cfg.get('model_wrapper_cfg') is None:
            cfg.model_wrapper_cfg = dict(
                type='MMDistributedDataParallel', broadcast_buffers=False,
                find_unused_parameters=cfg.get('find_unused_parameters', False))
        cfg.model_wrapper_cfg['device_ids'] = None
    return cfg
