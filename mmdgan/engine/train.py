"""The training entry point behind ``tools/train.py``.

Its config comes from :func:`mmdgan.utils.runner_config.build_runner_config`.
"""
import os

import torch
import torch.distributed as dist
from mmengine.config import Config


def init_cpu_process_group(launcher: str) -> None:
    """Start a gloo process group for ``--launcher pytorch`` without CUDA.

    mmengine's own initialisation calls ``torch.cuda.set_device``, which fails
    on CPU-only torch; once a group exists, the runner skips it.
    """
    if launcher != 'pytorch' or torch.cuda.is_available() or dist.is_initialized():
        return
    for var in ('RANK', 'WORLD_SIZE', 'MASTER_ADDR', 'MASTER_PORT'):
        if var not in os.environ:
            raise RuntimeError(f'--launcher pytorch: environment variable {var} is not set '
                               '(start with torchrun or tools/dist_train.sh)')
    dist.init_process_group(backend='gloo', rank=int(os.environ['RANK']),
                            world_size=int(os.environ['WORLD_SIZE']))


def add_init_from_hook(runner) -> None:
    """Register ``InitFromOptimizerHook`` unless the config already has one.

    It restores the GAN optimizer states of ``model.init_from`` (a no-op
    without it). Added here rather than in ``default_runtime.py`` so that the
    resolved configs, whose digests the committed experiment units record,
    stay as they were.
    """
    from mmdgan.engine.hooks import InitFromOptimizerHook
    if not any(isinstance(hook, InitFromOptimizerHook) for hook in runner.hooks):
        runner.register_hook(InitFromOptimizerHook(), priority='VERY_HIGH')


def train(cfg: Config):
    """Build the runner from ``cfg`` and train.

    Returns:
        The runner, after training.
    """
    from mmdgan.fileio import allow_mmengine_checkpoints
    from mmdgan.registry import RUNNERS
    from mmdgan.utils import register_all_modules

    register_all_modules(init_default_scope=False)
    allow_mmengine_checkpoints()  # checkpoints that --resume can load again
    init_cpu_process_group(cfg.get('launcher', 'none'))
    if 'runner_type' in cfg:
        runner = RUNNERS.build(cfg)
    else:
        from mmengine.runner import Runner
        runner = Runner.from_cfg(cfg)
    add_init_from_hook(runner)
    runner.train()
    return runner
