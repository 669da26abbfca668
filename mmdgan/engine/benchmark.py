"""Cost of DetectorGAN training steps against a plain detector step.

Used by ``tools/analysis_tools/benchmark_train.py``. Every measurement runs on
the same batch, in this process, from the same model, optimizer and RNG state
(restored after each), with its own peak memory (CPU: the process's peak
resident set during the measurement, :class:`~mmdgan.utils.peak_memory.PeakRss`;
CUDA: peak allocated memory). No child process: a child forked after OpenMP
threads started (any ``OMP_NUM_THREADS`` > 1) can block forever on a lock held
by a thread that does not exist in it.
"""
import copy
from typing import Callable, Dict, List, Optional, Tuple

import torch
from mmengine.config import Config
from mmengine.logging import MMLogger

from mmdgan.utils.peak_memory import PeakRss
from mmdgan.utils.timing import time_calls

UNROLL_MODES = ('none', 'exact', 'finite_diff')


def _timed(fn: Callable[[], None], iters: int, warmup: int, device: torch.device) -> dict:
    cuda = device.type == 'cuda'
    sync = (lambda: torch.cuda.synchronize(device)) if cuda else None
    time_calls(fn, warmup, 0, sync)
    if cuda:
        torch.cuda.reset_peak_memory_stats(device)
    with PeakRss() as rss:
        seconds = sum(time_calls(fn, 0, iters, sync))
    peak = torch.cuda.max_memory_allocated(device) / 2**20 if cuda else rss.peak_mib
    return dict(s_per_iter=seconds / iters, peak_mib=peak)


def build_for_benchmark(cfg: Config, device: torch.device, exact: bool = True) -> Tuple:
    """``(model, optim_wrapper, batch)`` of a DetectorGAN config, in train mode.

    Args:
        cfg: A DetectorGAN config (stage 1 without a detector too).
        device: Where the model goes.
        exact: Build with the exact unroll, so the twice-differentiable
            detector serves every unroll mode (ignored without a detector).
    """
    from mmengine.runner import Runner

    from mmdgan.registry import MODELS, OPTIM_WRAPPER_CONSTRUCTORS
    from mmdgan.utils import register_all_modules

    register_all_modules()
    model_cfg = copy.deepcopy(cfg.model)
    if exact and model_cfg.get('detector') is not None:
        model_cfg.setdefault('unroll', {})['mode'] = 'exact'
    model = MODELS.build(model_cfg).to(device)
    logger = MMLogger.get_current_instance()
    level = logger.level
    logger.setLevel('WARNING')  # init_weights reports every tensor
    try:
        model.init_weights()
    finally:
        logger.setLevel(level)
    model.train()
    optim_cfg = copy.deepcopy(cfg.optim_wrapper)
    constructor = optim_cfg.pop('constructor')
    paramwise = optim_cfg.pop('paramwise_cfg', None)
    optim_wrapper = OPTIM_WRAPPER_CONSTRUCTORS.build(
        dict(type=constructor, optim_wrapper_cfg=optim_cfg, paramwise_cfg=paramwise))(model)
    loader_cfg = copy.deepcopy(cfg.train_dataloader)
    loader_cfg['num_workers'] = 0
    loader_cfg.pop('persistent_workers', None)
    batch = next(iter(Runner.build_dataloader(loader_cfg, seed=0)))
    return model, optim_wrapper, batch


class TrainBenchmark:
    """Build a DetectorGAN and one batch from a config and time its steps.

    Args:
        cfg: A DetectorGAN config.
        device: Torch device string.
        iters: Timed repetitions per measurement.
        warmup: Untimed repetitions before.
        stage1_cfg: A stage-1 config (``model.detector=None``) whose whole
            train step is timed too (``stage1_step``), on its own batch of the
            same loader settings, against the detector step of ``cfg``.
    """

    def __init__(self, cfg: Config, device: str = 'cpu', iters: int = 5,
                 warmup: int = 2, stage1_cfg: Optional[Config] = None) -> None:
        if iters < 1 or warmup < 0:
            raise ValueError('iters must be >= 1 and warmup >= 0')
        self.iters, self.warmup = iters, warmup
        self.device = torch.device(device)
        self.model, self.optim_wrapper, self.batch = build_for_benchmark(cfg, self.device)
        self.stage1 = None
        if stage1_cfg is not None:
            if stage1_cfg.model.get('detector') is not None:
                raise ValueError('stage1_cfg: model.detector must be None (a stage-1 config)')
            self.stage1 = build_for_benchmark(stage1_cfg, self.device, exact=False)

    def _isolated(self, fn: Callable[[], dict], model=None, optim_wrapper=None) -> dict:
        """Run one measurement, then restore the model, optimizers and RNG.

        Every measurement then starts from the state the others start from,
        as a forked child did, without a child.
        """
        model = self.model if model is None else model
        optim_wrapper = self.optim_wrapper if optim_wrapper is None else optim_wrapper
        model_state = copy.deepcopy(model.state_dict())
        optim_state = copy.deepcopy(optim_wrapper.state_dict())
        rng_state = torch.get_rng_state()
        try:
            return fn()
        finally:
            model.load_state_dict(model_state)
            optim_wrapper.load_state_dict(optim_state)
            torch.set_rng_state(rng_state)

    def stage1_step(self) -> dict:
        """Time whole stage-1 ``train_step`` calls (no detector)."""
        if self.stage1 is None:
            raise ValueError('no stage1_cfg was given')
        model, optim_wrapper, batch = self.stage1
        return self._isolated(
            lambda: _timed(lambda: model.train_step(copy.deepcopy(batch), optim_wrapper),
                           self.iters, self.warmup, self.device), model, optim_wrapper)

    def _data(self) -> dict:
        return self.model.data_preprocessor(copy.deepcopy(self.batch), True)

    def train_step(self, mode: str) -> dict:
        """Time whole ``train_step`` calls with unroll ``mode``."""
        if mode not in UNROLL_MODES:
            raise ValueError(f'mode must be one of {UNROLL_MODES}, got {mode!r}')

        weights = self.model.loss_weights

        def run() -> dict:
            # 'none' is the unroll weight at 0, the model's one no-unroll switch.
            if mode == 'none':
                self.model.loss_weights = dict(weights, unroll=0.0)
            else:
                self.model.unroll_cfg['mode'] = mode
            return _timed(lambda: self.model.train_step(copy.deepcopy(self.batch),
                                                        self.optim_wrapper),
                          self.iters, self.warmup, self.device)

        try:
            return self._isolated(run)
        finally:
            self.model.loss_weights = weights

    def _real_batch(self):
        labelled = self._data()['labelled']
        return self.model.to_detector_batch([labelled['inputs']], labelled['data_samples'])

    def detector_step(self) -> dict:
        """Time a plain detector step (forward, backward, optimizer step)."""

        def run() -> dict:
            inputs, samples = self._real_batch()
            wrapper = self.optim_wrapper['detector']
            return _timed(
                lambda: wrapper.update_params(
                    self.model.detector_loss(self.model.det, inputs, samples)),
                self.iters, self.warmup, self.device)

        return self._isolated(run)

    def detector_forward_backward(self) -> dict:
        """Time one detector forward + backward (no step), the unroll's yardstick."""

        def run() -> dict:
            inputs, samples = self._real_batch()

            def step():
                self.model.detector_loss(self.model.det, inputs, samples).backward()
                self.optim_wrapper['detector'].zero_grad()

            return _timed(step, self.iters, self.warmup, self.device)

        return self._isolated(run)

    def unroll_overhead(self, mode: str) -> dict:
        """Time the virtual step + hypergradient w.r.t. the synthetic images."""
        from mmdgan.models.unroll import unroll

        def run() -> dict:
            data = self._data()
            clean, labelled = data['clean'], data['labelled']
            syn, syn_samples = self.model.to_detector_batch([clean['inputs']],
                                                            clean['data_samples'])
            real, real_samples = self.model.to_detector_batch([labelled['inputs']],
                                                              labelled['data_samples'])
            syn = syn.detach().requires_grad_(True)
            cfg = self.model.unroll_cfg

            def step():
                result = unroll(self.model.det, syn, syn_samples, real, real_samples,
                                inner_lr=cfg['inner_lr'], mode=mode, fd_eps=cfg['fd_eps'])
                (hyper, ) = torch.autograd.grad(result.surrogate, syn)

            return _timed(step, self.iters, self.warmup, self.device)

        return self._isolated(run)

    def run(self, modes: Optional[List[str]] = None) -> Dict[str, dict]:
        """All measurements, keyed ``train_step/<mode>``, ``detector_step``,
        ``detector_fwd_bwd``, ``unroll/<mode>`` and (with a stage-1 config)
        ``stage1_step``; ``modes=[]`` times no DetectorGAN step."""
        modes = list(UNROLL_MODES if modes is None else modes)
        results = {'detector_step': self.detector_step(),
                   'detector_fwd_bwd': self.detector_forward_backward()}
        if self.stage1 is not None:
            results['stage1_step'] = self.stage1_step()
        for mode in modes:
            results[f'train_step/{mode}'] = self.train_step(mode)
        for mode in modes:
            if mode != 'none':
                results[f'unroll/{mode}'] = self.unroll_overhead(mode)
        return results


def format_results(results: Dict[str, dict]) -> str:
    """A table of s/iter, peak memory and the ratios the design asks for.

    ``x det step``: every measurement against the plain detector step (the
    issue's targets for ``train_step/*``). ``x fwd+bwd``: the unroll overhead
    against one detector forward + backward (the design's "unroll overhead").
    """
    def ratio(name: str, ref: str) -> str:
        if ref not in results:
            return '-'
        return f'{results[name]["s_per_iter"] / results[ref]["s_per_iter"]:.2f}x'

    lines = [f'{"measurement":<24}{"s/iter":>10}{"peak MiB":>11}{"x det step":>12}'
             f'{"x fwd+bwd":>11}']
    for name, res in results.items():
        peak = '-' if res['peak_mib'] is None else f'{res["peak_mib"]:.0f}'
        per_fwd_bwd = ratio(name, 'detector_fwd_bwd') if name.startswith('unroll/') else ''
        lines.append(f'{name:<24}{res["s_per_iter"]:>10.3f}{peak:>11}'
                     f'{ratio(name, "detector_step"):>12}{per_fwd_bwd:>11}')
    return '\n'.join(lines)
