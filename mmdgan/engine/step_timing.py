"""Time (and optionally profile) training steps of any config, in-process.

Used to size the comparison's schedules to the machine: one detector or
DetectorGAN ``train_step`` on the config's own dataloader, with a chosen number
of intra-op threads, split into data time and step time.
"""
import os
import statistics
from typing import Dict, Optional

import torch

from mmdgan.utils.timing import time_calls


def time_train_steps(config: str, iters: int = 8, threads: Optional[int] = None,
                     cfg_options: Optional[dict] = None, profile: bool = False,
                     log=print) -> Dict[str, float]:
    """Run ``iters`` training steps of ``config`` and time them.

    Args:
        config: Any train config (plain mmdet detector or DetectorGAN).
        iters: Steps to run; the first one (warm-up) is left out of the medians.
        threads: ``torch.set_num_threads`` value (``None``: leave torch's default).
        cfg_options: Dotted-key overrides, as ``--cfg-options``.
        profile: Print a ``torch.profiler`` table of the last step (by self CPU time).
        log: Where the per-step lines go.

    Returns:
        ``dict(step_s, data_s, threads, params_m)``: median step and data
        seconds over steps 2..``iters``, the thread count and the model size.
    """
    if iters < 2:
        raise ValueError(f'iters must be >= 2 (the first step is warm-up), got {iters}')
    if threads is not None:
        if threads < 1:
            raise ValueError(f'threads must be >= 1, got {threads}')
        torch.set_num_threads(threads)
    from mmengine.runner import Runner

    from mmdgan.utils import register_all_modules
    from mmdgan.utils.runner_config import build_runner_config

    register_all_modules(init_default_scope=False)
    cfg = build_runner_config(config, work_dir=os.path.join('work_dirs', 'step_timing'),
                              cfg_options=cfg_options)
    runner = Runner.from_cfg(cfg)
    model = runner.model
    optim_wrapper = runner.build_optim_wrapper(runner.optim_wrapper)
    batches = iter(runner.build_dataloader(runner._train_dataloader))
    model.train()
    step_s, data_s, batch = [], [], []
    for i in range(iters):
        # Through the one timer of the benchmarks; the data time is the loader's alone.
        data_s += time_calls(lambda: batch.append(next(batches)), 0, 1)
        if profile and i == iters - 1:
            with torch.profiler.profile(activities=[torch.profiler.ProfilerActivity.CPU]) as p:
                step_s += time_calls(lambda: model.train_step(batch.pop(), optim_wrapper), 0, 1)
            log(p.key_averages().table(sort_by='self_cpu_time_total', row_limit=20))
        else:
            step_s += time_calls(lambda: model.train_step(batch.pop(), optim_wrapper), 0, 1)
        log(f'step {i}: data {data_s[-1]:.3f} s, step {step_s[-1]:.3f} s')
    return dict(step_s=statistics.median(step_s[1:]), data_s=statistics.median(data_s[1:]),
                threads=torch.get_num_threads(),
                params_m=sum(p.numel() for p in model.parameters()) / 1e6)
