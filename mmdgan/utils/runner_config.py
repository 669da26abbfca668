"""The config every mmengine runner of mmdgan starts from (train, test, timing)."""
import inspect
import logging
import os.path as osp
from typing import Optional

import torch
from mmengine.config import Config
from mmengine.logging import print_log

from .config import load_config, resolve_config

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


def _accepts(cls: type, name: str) -> bool:
    """Whether ``cls(...)`` takes a keyword argument ``name``."""
    try:
        params = inspect.signature(cls).parameters.values()
    except (TypeError, ValueError):  # no signature to read: cannot tell, so accept
        return True
    return any(p.kind is p.VAR_KEYWORD or (p.name == name and p.kind is not p.VAR_POSITIONAL)
               for p in params)


def check_model_overrides(cfg: Config, cfg_options: Optional[dict]) -> None:
    """Refuse a ``--cfg-options model....`` key that no model class takes.

    An override may add keys, so a new key is checked against the signature
    of the nearest enclosing ``type=`` of ``cfg.model`` (looked up in
    mmdgan's registry, which falls back to mmdet's). Found here, a typo is one
    line naming the key, before the runner creates a work dir; otherwise it
    surfaces as a ``TypeError`` traceback from deep inside the model build.

    Raises:
        ValueError: ``model.<...>.<name>`` adds ``name`` to a module whose
            class has no such argument.
    """
    from mmdgan.registry import MODELS
    from mmdgan.utils import mmdgan_scope

    for key in cfg_options or {}:
        parts = key.split('.')
        if parts[0] != 'model' or len(parts) < 2:
            continue
        node, at = cfg.to_dict(), []
        for part in parts[:-1]:
            if isinstance(node, dict) and part in node:
                node = node[part]
            elif isinstance(node, (list, tuple)) and part.isdigit() and int(part) < len(node):
                node = node[int(part)]
            else:
                break
            at.append(part)
        name = parts[len(at)]
        if not isinstance(node, dict) or name in node or 'type' not in node:
            continue
        cls = node['type']
        if isinstance(cls, str):
            with mmdgan_scope():
                cls = MODELS.get(cls)
        if isinstance(cls, type) and not _accepts(cls, name):
            raise ValueError(f'--cfg-options {key}: {".".join(at)} is a {cls.__name__}, which '
                             f'takes no argument {name!r}')


def sound_resume_checkpoint(work_dir: str, resume: str) -> Optional[str]:
    """The checkpoint a ``--resume`` may start from, never a truncated one.

    A kill while ``torch.save`` writes leaves the newest checkpoint cut short,
    and resuming from it fails deep in torch without naming the file. With
    ``resume='auto'`` the checkpoint mmengine would pick (``last_checkpoint``)
    is checked, and if it is missing or broken the newest complete
    ``iter_N.pth`` of the work dir is taken instead, with a warning naming
    both. An explicit path that is broken is refused.

    Args:
        work_dir: The run's work dir.
        resume: ``'auto'`` or a checkpoint path.

    Returns:
        The checkpoint to resume from; ``None`` (``'auto'`` only) when the
        work dir has none, so that training starts anew as mmengine does.

    Raises:
        ValueError: The checkpoint is broken and no complete one can stand in.
    """
    from mmengine.runner.checkpoint import find_latest_checkpoint

    from mmdgan.fileio import checkpoint_problem, newest_sound_checkpoint

    if resume != 'auto':
        problem = checkpoint_problem(resume)
        if problem is None:
            return resume
        sound = newest_sound_checkpoint(osp.dirname(resume) or '.', skip=[resume])
        hint = f'; the newest complete one beside it is {sound}' if sound else ''
        raise ValueError(f'--resume checkpoint {resume} is {problem}{hint}')
    latest = find_latest_checkpoint(work_dir) if osp.isdir(work_dir) else None
    if latest is None:
        return None
    problem = checkpoint_problem(latest)
    if problem is None:
        return latest
    sound = newest_sound_checkpoint(work_dir, skip=[latest])
    if sound is None:
        raise ValueError(f'cannot resume: {latest} is {problem} and {work_dir} holds no other '
                         'complete checkpoint (remove it, or train without --resume)')
    print_log(f'{latest} is {problem}; resuming from {sound}, the newest complete checkpoint',
              logger='current', level=logging.WARNING)
    return str(sound)


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
    cfg = load_config(config, resolve=False)
    check_model_overrides(cfg, cfg_options)
    if cfg_options:
        cfg.merge_from_dict(cfg_options)
    # A generic config reads its classes and channels from data_root, which
    # --cfg-options may just have set.
    resolve_config(cfg)
    cfg.launcher = launcher
    if work_dir is not None:
        cfg.work_dir = work_dir
    elif cfg.get('work_dir') is None:
        cfg.work_dir = osp.join('./work_dirs', osp.splitext(osp.basename(config))[0])
    if amp:
        enable_amp(cfg)
    if resume == 'auto':
        cfg.resume = True
        cfg.load_from = sound_resume_checkpoint(cfg.work_dir, resume)
    elif resume is not None:
        if not osp.isfile(resume):
            raise FileNotFoundError(f'--resume checkpoint not found: {resume}')
        cfg.resume = True
        cfg.load_from = sound_resume_checkpoint(cfg.work_dir, resume)
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
