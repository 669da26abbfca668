"""Say what a training run will cost before it starts, then check it."""
import time
from typing import Optional

import torch
from mmengine.hooks import Hook

from mmdgan.registry import HOOKS


@HOOKS.register_module()
class PlannedCostHook(Hook):
    """Log the planned CPU core-hours of the iterations left, before training.

    The plan is ``iterations left x step_seconds x threads``; ``step_seconds``
    comes from a benchmark of the config's train step (e.g.
    ``tools/analysis_tools/benchmark_train.py --stage1-config``). After
    ``check_after`` iterations the measured rate (data loading and hooks
    included) is logged beside it with the revised estimate, so a run that
    would overrun is seen early. A resumed run plans only what is left.

    Args:
        step_seconds: Benchmarked seconds per train step on the target machine.
        check_after: Iterations after which the measured rate is logged.
        threads: Cores the run occupies; ``None`` reads ``torch.get_num_threads()``.
    """

    priority = 'VERY_LOW'

    def __init__(self, step_seconds: float, check_after: int = 20,
                 threads: Optional[int] = None) -> None:
        if not (isinstance(step_seconds, (int, float)) and step_seconds > 0):
            raise ValueError(f'PlannedCostHook.step_seconds must be > 0, got {step_seconds!r}')
        if int(check_after) != check_after or check_after < 1:
            raise ValueError(f'PlannedCostHook.check_after must be an int >= 1, '
                             f'got {check_after!r}')
        if threads is not None and (int(threads) != threads or threads < 1):
            raise ValueError(f'PlannedCostHook.threads must be None or an int >= 1, '
                             f'got {threads!r}')
        self.step_seconds = float(step_seconds)
        self.check_after = int(check_after)
        self.threads = threads

    def _threads(self) -> int:
        return int(self.threads or torch.get_num_threads())

    def plan(self, iterations: int, step_seconds: float) -> str:
        """One line: wall hours and CPU core-hours of ``iterations`` steps."""
        wall = iterations * step_seconds / 3600
        return (f'{iterations} iterations x {step_seconds:.3f} s x {self._threads()} '
                f'thread(s) = {wall * self._threads():.2f} CPU core-hours '
                f'({wall:.2f} h wall)')

    def before_train(self, runner) -> None:
        self.start_iter = runner.iter
        self.left = runner.max_iters - runner.iter
        runner.logger.info(f'PlannedCostHook: planned (benchmarked step): '
                           f'{self.plan(self.left, self.step_seconds)}')

    def before_train_iter(self, runner, batch_idx: int, data_batch=None) -> None:
        if runner.iter == self.start_iter:
            self.start_time = time.perf_counter()

    def after_train_iter(self, runner, batch_idx: int, data_batch=None,
                         outputs=None) -> None:
        done = runner.iter + 1 - self.start_iter
        if done != self.check_after:
            return
        rate = (time.perf_counter() - self.start_time) / done
        runner.logger.info(f'PlannedCostHook: measured {rate:.3f} s/iter over the first {done} '
                           f'iterations (benchmark {self.step_seconds:.3f}); the run: '
                           f'{self.plan(self.left, rate)}')
