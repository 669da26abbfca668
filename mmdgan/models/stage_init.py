"""Two-stage training: start a DetectorGAN's GAN modules from an earlier run.

Stage 1 trains the inserter, the remover and the discriminators on context
crops without a detector (``model.detector=None``); stage 2 starts from its
weights (``model.init_from``) and fine-tunes with the detector in the loop.
Only the generators and discriminators are loaded: the detector, the
iteration counter and the optimizer states start as the stage-2 config says.
"""
import os.path as osp
from typing import Dict, List, Tuple

import torch
import torch.nn as nn
from mmengine.model import is_model_wrapper

from mmdgan.fileio import read_checkpoint

#: Modules ``init_from`` loads, by DetectorGAN attribute name.
GAN_MODULES: Tuple[str, ...] = ('generator_x', 'generator_y', 'disc_global_x', 'disc_global_y',
                                'disc_local_x')


def _module_state(state: Dict[str, torch.Tensor], name: str) -> Dict[str, torch.Tensor]:
    prefix = f'{name}.'
    return {k[len(prefix):]: v for k, v in state.items() if k.startswith(prefix)}


def _mismatch(module: nn.Module, weights: Dict[str, torch.Tensor]) -> List[str]:
    """What keeps ``weights`` from loading strictly into ``module`` (empty: fits)."""
    own = module.state_dict()
    problems = [f'missing {k}' for k in own if k not in weights]
    problems += [f'unexpected {k}' for k in weights if k not in own]
    problems += [f'{k} is {tuple(weights[k].shape)}, the config makes {tuple(v.shape)}'
                 for k, v in own.items() if k in weights and weights[k].shape != v.shape]
    return problems


def _bare(model: nn.Module, name: str) -> nn.Module:
    module = getattr(model, name)
    return module.module if is_model_wrapper(module) else module


def load_gan_modules(model: nn.Module, path: str) -> List[str]:
    """Load the generators and discriminators of ``model`` from checkpoint ``path``.

    Where the earlier run kept a moving average of the inserter
    (``generator_x_ema``), both G_X and its average start from that average:
    it is the inserter the earlier run was measured with, and the raw G_X
    swings from step to step. Every module is checked before any is loaded,
    so a checkpoint that does not fit leaves ``model`` untouched.

    Args:
        model: A ``DetectorGAN`` (unwrapped).
        path: A checkpoint written by ``tools/train.py`` (e.g. stage 1's
            ``iter_N.pth``).

    Returns:
        The names of the modules loaded.

    Raises:
        FileNotFoundError: ``path`` does not exist.
        ValueError: The checkpoint lacks a module or one does not fit the
            config (one line naming the file, the module and the first
            mismatch).
    """
    if not osp.isfile(path):
        raise FileNotFoundError(f'model.init_from: {path} does not exist')
    checkpoint = read_checkpoint(path)
    state = checkpoint.get('state_dict', checkpoint)
    state = {k[len('module.'):] if k.startswith('module.') else k: v for k, v in state.items()}
    plan = {}
    for name in GAN_MODULES:
        source = name
        if name == 'generator_x' and any(k.startswith('generator_x_ema.') for k in state):
            source = 'generator_x_ema'
        weights = _module_state(state, source)
        if not weights:
            raise ValueError(f'model.init_from: {path} has no {name}.* weights (not a '
                             'DetectorGAN checkpoint?)')
        problems = _mismatch(_bare(model, name), weights)
        if problems:
            raise ValueError(f'model.init_from: {path} does not fit this config\'s {name} '
                             f'(from {source}.*): {problems[0]} ({len(problems)} mismatch(es))')
        plan[name] = weights
    for name, weights in plan.items():
        _bare(model, name).load_state_dict(weights, strict=True)
    if getattr(model, 'generator_x_ema', None) is not None:
        model.generator_x_ema.load_state_dict(plan['generator_x'], strict=True)
    return list(plan)
