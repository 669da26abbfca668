"""Hypergradient of the detector's real-data loss after a virtual step on synthetic data.

    theta' = theta - inner_lr * grad_theta L_syn(theta; syn_inputs)
    loss   = L_real(theta')

``unroll`` returns ``loss`` and a ``surrogate`` scalar whose gradient w.r.t.
``syn_inputs`` is ``d loss / d syn_inputs`` (exactly, or by DARTS' central
difference). With ``syn_grad=True`` it also returns ``L_syn(theta)`` and its
input gradient from the same first forward (the generator's ``L_det^syn``
term), so that term costs no forward of its own; :func:`synthetic_term` gives
that term alone, the same way, when the unroll is off. See ``docs/unroll.md``.
"""
import random
from contextlib import contextmanager
from typing import Any, Callable, Dict, Iterator, List, NamedTuple, Optional, Sequence, Tuple

import numpy as np
import torch
import torch.nn as nn
from mmengine.model import is_model_wrapper
from torch.func import functional_call

MODES = ('exact', 'finite_diff')

Params = Dict[str, torch.Tensor]


class UnrollResult(NamedTuple):
    """Outcome of :func:`unroll`.

    Attributes:
        loss: ``L_real(theta')``, detached (for logging).
        surrogate: Scalar equal to ``loss`` whose gradient w.r.t.
            ``syn_inputs`` is the hypergradient; add ``weight * surrogate`` to
            the generator's loss. It carries no gradient to the detector.
            (Both ``None`` from ``DetectorGAN.detector_terms`` without the unroll.)

    Attributes (``syn_grad=True`` only, else ``None``):
        syn_loss: ``L_syn(theta)`` on the synthetic batch, detached.
        syn_surrogate: Scalar equal to ``syn_loss`` whose gradient w.r.t.
            ``syn_inputs`` is ``d L_syn(theta) / d syn_inputs``.
    """

    loss: Optional[torch.Tensor]
    surrogate: Optional[torch.Tensor]
    syn_loss: Optional[torch.Tensor] = None
    syn_surrogate: Optional[torch.Tensor] = None


def _detached(samples: Any) -> Any:
    """Detached copies of data samples / tensors, so that graph-carrying ground
    truth never reaches ``copy.deepcopy`` (``TwoStageDetector.loss``)."""
    if isinstance(samples, (list, tuple)):
        return type(samples)(_detached(s) for s in samples)
    if hasattr(samples, 'detach') and hasattr(samples, 'clone'):
        return samples.detach().clone()
    return samples


@contextmanager
def _fixed_rng(seed: int, device: torch.device) -> Iterator[None]:
    """Run a block under ``seed`` (torch, numpy, python) and restore every state after."""
    np_state, py_state = np.random.get_state(), random.getstate()
    devices = []
    if device.type == 'cuda':
        devices = [torch.cuda.current_device() if device.index is None else device.index]
    try:
        with torch.random.fork_rng(devices=devices):
            torch.default_generator.manual_seed(seed)
            if devices:
                with torch.cuda.device(devices[0]):
                    torch.cuda.manual_seed(seed)
            np.random.seed(seed)
            random.seed(seed)
            yield
    finally:
        np.random.set_state(np_state)
        random.setstate(py_state)


class _LossAt:
    """``L(params; inputs, samples)`` of a detector, without touching its state.

    Every call runs ``functional_call`` with the given trainable parameters,
    the untouched frozen ones and fresh clones of all buffers, so BatchNorm
    running statistics of the real detector never change.
    """

    def __init__(self, model: nn.Module, loss_fn: Optional[Callable[[dict], torch.Tensor]],
                 device: torch.device) -> None:
        self.model = model
        self.frozen = {n: p for n, p in model.named_parameters() if not p.requires_grad}
        self.buffers = dict(model.named_buffers())
        self.device = device
        if loss_fn is not None:
            self.loss_fn = loss_fn
        elif hasattr(model, 'parse_losses'):
            self.loss_fn = lambda losses: model.parse_losses(losses)[0]
        else:
            raise ValueError(f'unroll: {type(model).__name__} has no parse_losses; pass loss_fn')

    def __call__(self, params: Params, inputs: torch.Tensor, samples: Any,
                 seed: Optional[int] = None) -> torch.Tensor:
        state = {**params, **self.frozen, **{n: b.clone() for n, b in self.buffers.items()}}
        args = (inputs, _detached(samples))
        if seed is None:
            losses = functional_call(self.model, state, args=args, kwargs={'mode': 'loss'})
        else:
            with _fixed_rng(seed, self.device):
                losses = functional_call(self.model, state, args=args, kwargs={'mode': 'loss'})
        loss = self.loss_fn(losses)
        if not isinstance(loss, torch.Tensor) or loss.dim() != 0:
            raise ValueError('unroll: loss_fn must return a scalar tensor')
        return loss


def functional_loss(detector: nn.Module, inputs: torch.Tensor, samples: Any,
                    loss_fn: Optional[Callable[[dict], torch.Tensor]] = None) -> torch.Tensor:
    """The detector's training loss at its current weights, leaving its buffers alone.

    Train-mode semantics (BatchNorm normalises with the batch's statistics),
    but the running statistics are updated in clones, so a loss that only the
    generator steps on never moves the detector's buffers. Gradients reach
    ``inputs`` and any parameter with ``requires_grad``.
    """
    model = detector.module if is_model_wrapper(detector) else detector
    params = {n: p for n, p in model.named_parameters() if p.requires_grad}
    return _LossAt(model, loss_fn, inputs.device)(params, inputs, samples)


def synthetic_term(detector: nn.Module, syn_inputs: torch.Tensor, syn_samples: Any,
                   loss_fn: Optional[Callable[[dict], torch.Tensor]] = None
                   ) -> Tuple[torch.Tensor, torch.Tensor]:
    """``L_syn(theta)`` alone: the ``syn_loss`` and ``syn_surrogate`` that :func:`unroll`
    returns with ``syn_grad=True``, by the same forward, backward and linearisation.

    The generator's ``L_det^syn`` without the unroll. Like :func:`functional_loss`
    (train-mode statistics in cloned buffers), but the detector's weights take no
    gradient and the graph is freed here.

    Returns:
        ``(loss, surrogate)``: the loss, detached, and a scalar equal to it whose
        gradient w.r.t. ``syn_inputs`` is ``d L_syn / d syn_inputs``.
    """
    model = detector.module if is_model_wrapper(detector) else detector
    params = {n: p.detach() for n, p in model.named_parameters() if p.requires_grad}
    x = syn_inputs.detach().requires_grad_(True)
    loss = _LossAt(model, loss_fn, syn_inputs.device)(params, x, syn_samples)
    _, grad = _grads(loss, {}, inputs=x)
    return loss.detach(), _linearised(loss, syn_inputs, grad)


def _grads(loss: torch.Tensor, params: Params, create_graph: bool = False,
           inputs: Optional[torch.Tensor] = None) -> Tuple[Params, Optional[torch.Tensor]]:
    """``d loss / d params`` (zeros outside the loss path) and, if given, ``d loss / d inputs``.

    One backward pass for both: the input gradient of the first synthetic
    forward is what the generator's ``L_det^syn`` term needs.
    """
    wrt = list(params.values()) + ([] if inputs is None else [inputs])
    grads = torch.autograd.grad(loss, wrt, create_graph=create_graph, allow_unused=True)
    named = {n: torch.zeros_like(p) if g is None else g
             for (n, p), g in zip(params.items(), grads)}
    if inputs is None:
        return named, None
    grad = grads[-1]
    return named, torch.zeros_like(inputs) if grad is None else grad.detach()


def _as_fp32(x: torch.Tensor) -> torch.Tensor:
    # Half precision cannot resolve the finite-difference step (~1e-6 per weight).
    return x.float() if x.dtype in (torch.float16, torch.bfloat16) else x


def unroll(detector: nn.Module,
           syn_inputs: torch.Tensor,
           syn_samples: Any,
           real_inputs: torch.Tensor,
           real_samples: Any,
           inner_lr: float,
           mode: str = 'exact',
           fd_eps: float = 0.01,
           loss_fn: Optional[Callable[[dict], torch.Tensor]] = None,
           syn_grad: bool = False) -> UnrollResult:
    """Real-data loss after one virtual SGD step on synthetic data, and its hypergradient.

    Args:
        detector: mmdet detector (or any module with ``forward(inputs,
            data_samples, mode='loss') -> dict``); a DDP wrapper is unwrapped.
            Only parameters with ``requires_grad=True`` take the virtual step.
        syn_inputs: Synthetic batch in detector space, carrying the graph to
            the generator.
        syn_samples: Data samples of the synthetic batch (inserted boxes).
        real_inputs: Real batch (a different one than any real data in the
            inner step, or the hypergradient is biased).
        real_samples: Data samples of the real batch.
        inner_lr: Step size ``alpha`` of the virtual step.
        mode: ``'exact'`` (second-order autograd; the loss path must be twice
            differentiable, see ``make_twice_differentiable``) or
            ``'finite_diff'`` (DARTS central difference; any detector).
        fd_eps: Finite-difference radius ``eps * ||v||`` in parameter space.
        loss_fn: Turns the detector's loss dict into a scalar; default
            ``detector.parse_losses(losses)[0]``.
        syn_grad: Also return ``L_syn(theta)`` and its gradient w.r.t.
            ``syn_inputs`` (``syn_loss``, ``syn_surrogate``), taken from the
            inner step's own forward and backward.

    Returns:
        :class:`UnrollResult`. The detector's parameters, buffers and
        ``.grad`` are left untouched.
    """
    if mode not in MODES:
        raise ValueError(f'unroll: mode must be one of {MODES}, got {mode!r}')
    if not inner_lr > 0:
        raise ValueError(f'unroll: inner_lr must be > 0, got {inner_lr}')
    if not fd_eps > 0:
        raise ValueError(f'unroll: fd_eps must be > 0, got {fd_eps}')
    if not isinstance(syn_inputs, torch.Tensor) or not syn_inputs.is_floating_point():
        raise ValueError('unroll: syn_inputs must be a floating-point tensor')
    model = detector.module if is_model_wrapper(detector) else detector
    # Detached leaves: the virtual step differentiates w.r.t. them and the
    # real detector's .grad is never written.
    theta = {n: p.detach().requires_grad_(True)
             for n, p in model.named_parameters() if p.requires_grad}
    if not theta:
        raise ValueError(f'unroll: no parameter of {type(model).__name__} requires grad')
    loss_at = _LossAt(model, loss_fn, syn_inputs.device)
    # One seed for every synthetic evaluation: two-stage detectors sample
    # proposals and RoIs at random, and theta +/- eps*v must see the same ones.
    seed = int(torch.randint(0, 2**31 - 1, ()).item())
    with torch.autocast(device_type=syn_inputs.device.type, enabled=False):
        syn_inputs = _as_fp32(syn_inputs)
        real_inputs = _as_fp32(real_inputs)
        if mode == 'exact':
            return _exact(loss_at, theta, syn_inputs, syn_samples, real_inputs, real_samples,
                          inner_lr, seed, syn_grad)
        return _finite_diff(loss_at, theta, syn_inputs, syn_samples, real_inputs, real_samples,
                            inner_lr, fd_eps, seed, syn_grad)


def _linearised(value: torch.Tensor, x: torch.Tensor, grad: torch.Tensor) -> torch.Tensor:
    """Scalar equal to ``value`` whose gradient w.r.t. ``x`` (and on to G) is ``grad``."""
    linear = (x * grad).sum()
    return value.detach() + linear - linear.detach()


def _result(loss_real: torch.Tensor, syn_inputs: torch.Tensor, hyper: torch.Tensor,
            loss_syn: torch.Tensor, syn_input_grad: Optional[torch.Tensor]) -> UnrollResult:
    if syn_input_grad is None:
        return UnrollResult(loss_real.detach(), _linearised(loss_real, syn_inputs, hyper))
    return UnrollResult(loss_real.detach(), _linearised(loss_real, syn_inputs, hyper),
                        loss_syn.detach(), _linearised(loss_syn, syn_inputs, syn_input_grad))


def _input_grad(loss: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
    """``d loss / d x``; a loss that does not depend on ``x`` is an error, not zeros.

    In exact mode ``x`` reaches the real loss only through the virtual step's
    second-order graph: an op without a double backward cuts it, and
    ``allow_unused`` alone would turn that into a zero hypergradient.
    """
    (grad, ) = torch.autograd.grad(loss, x, allow_unused=True)
    if grad is None:
        raise RuntimeError('unroll: the loss does not depend on the synthetic images '
                           '(disconnected graph: is every detector op twice differentiable? '
                           'see docs/unroll.md); the hypergradient would be zero')
    return grad


def _exact(loss_at: _LossAt, theta: Params, syn_inputs: torch.Tensor, syn_samples: Any,
           real_inputs: torch.Tensor, real_samples: Any, inner_lr: float,
           seed: int, syn_grad: bool = False) -> UnrollResult:
    # The hypergradient is taken here, w.r.t. a leaf copy of the inputs only:
    # autograd then skips the Hessian terms of theta, and the second-order
    # graph is freed before the generator's backward.
    x = syn_inputs.detach().requires_grad_(True)
    loss_syn = loss_at(theta, x, syn_samples, seed)
    grads, syn_input_grad = _grads(loss_syn, theta, create_graph=True,
                                   inputs=x if syn_grad else None)
    theta_new = {n: p - inner_lr * grads[n] for n, p in theta.items()}
    loss_real = loss_at(theta_new, real_inputs, real_samples)
    return _result(loss_real, syn_inputs, _input_grad(loss_real, x), loss_syn, syn_input_grad)


def _axpy(params: Params, direction: Params, alpha: float) -> Params:
    """Detached ``params + alpha * direction``, fused over all tensors (detectors
    like Faster R-CNN hold ~10^7 weights, so per-tensor Python loops show)."""
    names = list(params)
    moved = torch._foreach_add([params[n].detach() for n in names],
                               [direction[n] for n in names], alpha=alpha)
    return dict(zip(names, moved))


def _finite_diff(loss_at: _LossAt, theta: Params, syn_inputs: torch.Tensor, syn_samples: Any,
                 real_inputs: torch.Tensor, real_samples: Any, inner_lr: float, fd_eps: float,
                 seed: int, syn_grad: bool = False) -> UnrollResult:
    inputs = syn_inputs.detach()
    x = inputs.clone().requires_grad_(True) if syn_grad else inputs
    loss_syn = loss_at(theta, x, syn_samples, seed)
    grads, syn_input_grad = _grads(loss_syn, theta, inputs=x if syn_grad else None)
    theta_new = {n: p.requires_grad_(True) for n, p in _axpy(theta, grads, -inner_lr).items()}
    loss_real = loss_at(theta_new, real_inputs, real_samples)
    v, _ = _grads(loss_real, theta_new)
    norm = torch.linalg.vector_norm(
        torch.stack(torch._foreach_norm(list(v.values()))).double())
    if not torch.isfinite(norm):
        raise FloatingPointError("unroll: non-finite gradient of the real loss at theta'")
    if norm == 0:
        hyper = torch.zeros_like(inputs)
    else:
        eps = fd_eps / norm.item()

        def input_grad(sign: float) -> torch.Tensor:
            x = inputs.clone().requires_grad_(True)
            return _input_grad(loss_at(_axpy(theta, v, sign * eps), x, syn_samples, seed), x)

        hyper = -inner_lr * (input_grad(1.0) - input_grad(-1.0)) / (2 * eps)
    return _result(loss_real, syn_inputs, hyper, loss_syn, syn_input_grad)


def virtual_step_losses(detector: nn.Module, syn_inputs: torch.Tensor, syn_samples: Any,
                        probe: Sequence[Tuple[torch.Tensor, Any]], inner_lrs: Sequence[float],
                        loss_fn: Optional[Callable[[dict], torch.Tensor]] = None
                        ) -> List[List[float]]:
    """``L_real(theta')`` on each probe batch after one virtual step on a synthetic batch.

    The same ``theta' = theta - inner_lr * grad L_syn(theta)`` that :func:`unroll`
    scores, taken on a finished synthetic set rather than inside training:
    ``L_real(theta) - L_real(theta')`` is what the unrolled generator loss
    rewards, so it can be compared across inserters at one detector. No
    hypergradient is formed; the detector is left untouched. The gradient is
    taken once for all step sizes.

    Args:
        detector: mmdet detector (a DDP wrapper is unwrapped).
        syn_inputs: Synthetic batch in detector space.
        syn_samples: Its data samples (the inserted boxes).
        probe: ``(inputs, samples)`` real batches to score ``theta'`` on.
        inner_lrs: Step sizes of the virtual step (``0``: ``theta`` itself).
        loss_fn: As in :func:`unroll`.

    Returns:
        Per step size, the loss at ``theta'`` per probe batch.
    """
    if not inner_lrs or not all(lr >= 0 for lr in inner_lrs):
        raise ValueError(f'virtual_step_losses: inner_lrs must be >= 0, got {list(inner_lrs)}')
    model = detector.module if is_model_wrapper(detector) else detector
    theta = {n: p.detach().requires_grad_(True)
             for n, p in model.named_parameters() if p.requires_grad}
    loss_at = _LossAt(model, loss_fn, syn_inputs.device)
    grads, _ = _grads(loss_at(theta, _as_fp32(syn_inputs.detach()), syn_samples), theta)
    out = []
    with torch.no_grad():
        for lr in inner_lrs:
            theta_new = _axpy(theta, grads, -lr)
            out.append([float(loss_at(theta_new, _as_fp32(inputs), samples))
                        for inputs, samples in probe])
    return out
