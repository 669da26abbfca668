"""Two-stage training: start a DetectorGAN's GAN modules from an earlier run.

Stage 1 trains the inserter, the remover and the discriminators on context
crops without a detector (``model.detector=None``); stage 2 starts from its
weights (``model.init_from``) and fine-tunes with the detector in the loop.
Only the generators and discriminators are loaded, with their optimizers'
states (by ``InitFromOptimizerHook``, once the runner has built them): the
detector, its optimizer and the iteration counter start as the stage-2 config
says.
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
    (``generator_x_ema``), both G_X and this run's average start from that
    average: it is the inserter a stage-1 checkpoint is picked by (the
    InsertionQualityHook scores the average), while the raw G_X swings from
    step to step (13-527e-3 kernel distance between readings 30 iterations
    apart on mini-MIAS). Measured on the demo (``make demo``'s stage 2, 500
    films): the average start reads 0.20 x clean, the raw start 0.22 (s.e.
    0.05 each). The optimizer states (:func:`load_gan_optimizer_states`) are
    the raw G_X's; Adam's moments are gradient statistics, which the two
    nearby weight sets share. Every module is checked before any is loaded,
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
    has_average = any(k.startswith('generator_x_ema.') for k in state)
    sources = {name: name for name in GAN_MODULES}
    if has_average:
        sources['generator_x'] = 'generator_x_ema'
    if getattr(model, 'generator_x_ema', None) is not None:
        sources['generator_x_ema'] = 'generator_x_ema' if has_average else 'generator_x'
    for name, source in sources.items():
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
    return list(plan)


#: Optimizer wrappers whose Adam states ``init_from`` restores; the detector's starts fresh.
GAN_OPTIM_WRAPPERS: Tuple[str, ...] = ('generators', 'discriminators')


def _optimizer_mismatch(optimizer: torch.optim.Optimizer, saved: dict) -> List[str]:
    """What keeps ``saved`` (an optimizer ``state_dict``) from fitting ``optimizer``."""
    own = optimizer.param_groups
    groups = saved.get('param_groups', [])
    if len(groups) != len(own):
        return [f'{len(groups)} param group(s), the config makes {len(own)}']
    problems = []
    for g, (group, saved_group) in enumerate(zip(own, groups)):
        if len(saved_group['params']) != len(group['params']):
            problems.append(f'param group {g} has {len(saved_group["params"])} parameters, the '
                            f'config makes {len(group["params"])}')
            continue
        for param, index in zip(group['params'], saved_group['params']):
            for key, value in saved.get('state', {}).get(index, {}).items():
                if torch.is_tensor(value) and value.dim() and value.shape != param.shape:
                    problems.append(f'param group {g} parameter {index} {key} is '
                                    f'{tuple(value.shape)}, the config makes {tuple(param.shape)}')
    return problems


def load_gan_optimizer_states(optim_wrapper, path: str) -> List[str]:
    """Restore the generators' and discriminators' optimizer states from ``path``.

    The companion of :func:`load_gan_modules`: without the Adam moments the
    restarted GAN takes full-size first steps against a discriminator that
    had settled, a transient shock (issue 31). Only the per-parameter state
    (moments, step counts) is taken; learning rates and other
    hyperparameters stay as this config sets them. Every wrapper is checked
    before any is loaded, and the detector's optimizer is never touched.

    Args:
        optim_wrapper: The runner's ``OptimWrapperDict``.
        path: The checkpoint ``init_from`` names.

    Returns:
        The names of the wrappers restored (empty when the checkpoint has no
        optimizer states, e.g. one saved with ``save_optimizer=False``).

    Raises:
        ValueError: A wrapper's saved state does not fit (one line naming the
            file, the wrapper and the first mismatch).
    """
    saved = read_checkpoint(path).get('optimizer') or {}
    plan = {}
    for name in GAN_OPTIM_WRAPPERS:
        if name not in saved or name not in optim_wrapper:
            continue
        optimizer = optim_wrapper[name].optimizer
        problems = _optimizer_mismatch(optimizer, saved[name])
        if problems:
            raise ValueError(f'model.init_from: {path} optimizer state does not fit this '
                             f"config's {name} optimizer: {problems[0]} "
                             f'({len(problems)} mismatch(es))')
        # The config's hyperparameters (lr, betas, ...) with the saved per-parameter state.
        plan[name] = dict(state=saved[name].get('state', {}),
                          param_groups=optimizer.state_dict()['param_groups'])
    for name, state in plan.items():
        optim_wrapper[name].optimizer.load_state_dict(state)
    return list(plan)
