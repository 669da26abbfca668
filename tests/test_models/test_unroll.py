import copy
import importlib
from typing import Callable, Dict

import numpy as np
import pytest
import torch
import torch.nn as nn
import torch.nn.functional as F
from mmengine.model import BaseModel

from mmdgan.models.detector_gan import frozen
from mmdgan.models.generators import MaskedResnetGenerator
from mmdgan.models.layers import make_twice_differentiable
from mmdgan.models.unroll import functional_loss, unroll, virtual_step_losses

INNER_LR = 0.1


class ToyDetector(BaseModel):
    """Smooth stand-in for a detector, with a BatchNorm (buffers that a
    functional forward would mutate), a frozen layer, a parameter outside the
    loss path and a non-loss log entry.

    Args:
        random_subset: Pool over a random half of the columns (torch RNG) and
            rows (numpy RNG), like a two-stage detector's RoI sampling.
    """

    def __init__(self, random_subset: bool = False) -> None:
        super().__init__()
        self.stem = nn.Conv2d(3, 4, 3, padding=1)
        self.bn = nn.BatchNorm2d(4)
        self.conv = nn.Conv2d(4, 4, 3, padding=1)
        self.conv.requires_grad_(False)
        self.head = nn.Linear(4, 2)
        self.unused = nn.Linear(2, 2)
        self.random_subset = random_subset

    def forward(self, inputs, data_samples, mode='loss'):
        feat = torch.tanh(self.conv(torch.tanh(self.bn(self.stem(inputs)))))
        if self.random_subset:
            cols = torch.randperm(feat.shape[-1])[:feat.shape[-1] // 2]
            rows = np.random.choice(feat.shape[-2], feat.shape[-2] // 2, replace=False)
            feat = feat[..., torch.as_tensor(rows), :][..., cols]
        pred = self.head(feat.mean((2, 3)))
        return dict(loss_reg=((pred - data_samples)**2).mean(),
                    loss_small=[0.1 * pred.pow(2).mean(), 0.05 * pred.mean()],
                    acc=pred.sum())


class ToyGenerator(nn.Module):

    def __init__(self) -> None:
        super().__init__()
        self.conv = nn.Conv2d(3, 3, 3, padding=1)

    def forward(self, x):
        return x + torch.tanh(self.conv(x))


def _sum_losses(losses: Dict[str, object]) -> torch.Tensor:
    """Independent of ``parse_losses``: sum every entry whose key says loss."""
    total = 0
    for key, value in losses.items():
        if 'loss' in key:
            total = total + (sum(value) if isinstance(value, list) else value)
    return total


def _reference_unrolled_loss(det, gen, batch, lr, loss_fn=_sum_losses):
    """L_real(theta - lr * grad L_syn(theta)) with a plain SGD step on a copy."""
    with torch.enable_grad():
        return _reference_step(copy.deepcopy(det), gen, batch, lr, loss_fn)


def _reference_step(det, gen, batch, lr, loss_fn):
    params = [p for p in det.parameters() if p.requires_grad]
    grads = torch.autograd.grad(loss_fn(det(gen(batch['clean']), batch['syn_t'])), params,
                                allow_unused=True)
    with torch.no_grad():
        for param, grad in zip(params, grads):
            if grad is not None:
                param -= lr * grad
    return loss_fn(det(batch['real'], batch['real_t'])).detach()


def _numeric_gradient(fn: Callable[[], torch.Tensor], module: nn.Module, h: float = 1e-5):
    """Central-difference gradient of ``fn()`` w.r.t. every parameter of ``module``."""
    grads = []
    with torch.no_grad():
        for param in module.parameters():
            grad = torch.zeros_like(param)
            flat, flat_grad = param.view(-1), grad.view(-1)
            for i in range(flat.numel()):
                orig = flat[i].item()
                flat[i] = orig + h
                plus = fn()
                flat[i] = orig - h
                minus = fn()
                flat[i] = orig
                flat_grad[i] = (plus - minus) / (2 * h)
            grads.append(grad)
    return torch.cat([g.flatten() for g in grads])


def _analytic_gradient(det, gen, batch, mode, **kwargs):
    gen.zero_grad()
    result = unroll(det, gen(batch['clean']), batch['syn_t'], batch['real'], batch['real_t'],
                    INNER_LR, mode=mode, **kwargs)
    result.surrogate.backward()
    torch.testing.assert_close(result.surrogate.detach(), result.loss)
    return result.loss, torch.cat([p.grad.flatten() for p in gen.parameters()])


def _state(module: nn.Module) -> Dict[str, torch.Tensor]:
    return {k: v.detach().clone()
            for k, v in [*module.named_parameters(), *module.named_buffers()]}


def _assert_untouched(module: nn.Module, before: Dict[str, torch.Tensor]) -> None:
    after = _state(module)
    assert after.keys() == before.keys()
    for key, value in before.items():
        assert torch.equal(after[key], value), f'{key} changed'
    assert all(p.grad is None for p in module.parameters())


def _toy_case(dtype=torch.float64, random_subset=False, seed=0):
    torch.manual_seed(seed)
    det = ToyDetector(random_subset).to(dtype).train()
    gen = ToyGenerator().to(dtype)
    batch = dict(clean=torch.randn(4, 3, 8, 8, dtype=dtype), syn_t=torch.randn(4, 2, dtype=dtype),
                 real=torch.randn(4, 3, 8, 8, dtype=dtype), real_t=torch.randn(4, 2, dtype=dtype))
    return det, gen, batch


def _rel_err(actual: torch.Tensor, expected: torch.Tensor) -> float:
    return ((actual - expected).norm() / expected.norm()).item()


@pytest.mark.parametrize('mode,tol', [('exact', 1e-3), ('finite_diff', 5e-2)])
def test_toy_hypergradient_matches_numeric(mode, tol):
    det, gen, batch = _toy_case()
    before = _state(det)
    loss, analytic = _analytic_gradient(det, gen, batch, mode)
    _assert_untouched(det, before)
    reference = lambda: _reference_unrolled_loss(det, gen, batch, INNER_LR)
    torch.testing.assert_close(loss, reference())
    numeric = _numeric_gradient(reference, gen)
    assert numeric.norm() > 1e-6
    assert _rel_err(analytic, numeric) < tol
    # Directional derivative along a random direction, as the method states it.
    direction = torch.randn(numeric.shape, dtype=numeric.dtype,
                            generator=torch.Generator().manual_seed(1))
    assert abs((analytic - numeric) @ direction) < tol * (numeric.norm() * direction.norm())


def test_toy_custom_loss_fn():
    det, gen, batch = _toy_case()
    only_reg = lambda losses: losses['loss_reg']
    loss, analytic = _analytic_gradient(det, gen, batch, 'exact', loss_fn=only_reg)
    reference = lambda: _reference_unrolled_loss(det, gen, batch, INNER_LR, only_reg)
    torch.testing.assert_close(loss, reference())
    assert _rel_err(analytic, _numeric_gradient(reference, gen)) < 1e-3


def test_finite_diff_holds_random_sampling_fixed():
    # With fresh random samples at theta + eps*v and theta - eps*v the
    # central difference would be dominated by sampling noise / (2 eps).
    det, gen, batch = _toy_case(random_subset=True)
    grads = {}
    for mode in ('exact', 'finite_diff'):
        torch.manual_seed(123)
        np.random.seed(123)
        _, grads[mode] = _analytic_gradient(det, gen, batch, mode)
    assert grads['exact'].norm() > 0
    assert _rel_err(grads['finite_diff'], grads['exact']) < 5e-2


def test_unroll_restores_rng_states():
    det, gen, batch = _toy_case(random_subset=True)
    torch.manual_seed(5)
    np.random.seed(5)
    unroll(det, gen(batch['clean']), batch['syn_t'], batch['real'], batch['real_t'], INNER_LR,
           mode='finite_diff')
    after = torch.rand(3), np.random.rand(3)
    torch.manual_seed(5)
    np.random.seed(5)
    torch.randint(0, 2**31 - 1, ())  # unroll draws one seed ...
    torch.randperm(8)  # ... and the real-batch evaluation samples once
    np.random.choice(8, 4, replace=False)
    assert torch.equal(after[0], torch.rand(3))
    assert np.array_equal(after[1], np.random.rand(3))


def test_unroll_unwraps_model_wrapper_and_ignores_autocast():
    det, gen, batch = _toy_case(dtype=torch.float32)
    plain_loss, plain = _analytic_gradient(det, gen, batch, 'exact')
    wrapped = nn.DataParallel(det)  # registered in mmengine's MODEL_WRAPPERS
    with torch.autocast('cpu', dtype=torch.bfloat16):
        loss, grads = _analytic_gradient(wrapped, gen, batch, 'exact')
    # bf16 would be off by ~1e-2 from the fp32 reference.
    torch.testing.assert_close(loss, _reference_unrolled_loss(det, gen, batch, INNER_LR))
    torch.testing.assert_close(loss, plain_loss)
    torch.testing.assert_close(grads, plain)


def test_finite_diff_zero_real_gradient():
    det, gen, batch = _toy_case()
    constant = lambda losses: 0.0 * losses['acc']  # no dependence through parameters
    _, grads = _analytic_gradient(det, gen, batch, 'finite_diff', loss_fn=constant)
    assert torch.equal(grads, torch.zeros_like(grads))


def test_unroll_errors():
    det, gen, batch = _toy_case()
    args = (gen(batch['clean']), batch['syn_t'], batch['real'], batch['real_t'])
    with pytest.raises(ValueError, match='mode must be one of'):
        unroll(det, *args, INNER_LR, mode='second_order')
    with pytest.raises(ValueError, match='inner_lr'):
        unroll(det, *args, 0.0)
    with pytest.raises(ValueError, match='fd_eps'):
        unroll(det, *args, INNER_LR, mode='finite_diff', fd_eps=0)
    with pytest.raises(ValueError, match='parse_losses'):
        unroll(nn.Linear(2, 2), *args, INNER_LR)
    det.requires_grad_(False)
    with pytest.raises(ValueError, match='no parameter of ToyDetector requires grad'):
        unroll(det, *args, INNER_LR)


# --- tiny mmdet detectors -------------------------------------------------------------

IMG = 64
SYN_BOXES = [[[16, 14, 40, 44]], [[30, 8, 56, 30], [6, 40, 30, 60]]]
REAL_BOXES = [[[10, 20, 34, 50]], [[24, 24, 52, 54]]]
MEAN = (123.675, 116.28, 103.53)
STD = (58.395, 57.12, 57.375)


def _gan_to_detector(img: torch.Tensor) -> torch.Tensor:
    mean = img.new_tensor(MEAN).view(1, 3, 1, 1)
    std = img.new_tensor(STD).view(1, 3, 1, 1)
    return ((img.expand(-1, 3, -1, -1) + 1) * 127.5 - mean) / std


def _mask(boxes, size: int) -> torch.Tensor:
    mask = torch.zeros(len(boxes), 1, size, size)
    for i, img_boxes in enumerate(boxes):
        for x1, y1, x2, y2 in img_boxes:
            mask[i, :, y1:y2, x1:x2] = 1
    return mask


@pytest.fixture
def mmdet_case(tiny_detector, det_samples):
    """A tiny detector made twice differentiable, a tiny G_X and the batches."""

    def make(name: str, dtype: torch.dtype = torch.float32):
        det = tiny_detector(name)
        make_twice_differentiable(det)
        det.to(dtype)
        torch.manual_seed(1)
        gen = MaskedResnetGenerator(1, base_channels=4, num_blocks=1, num_downsamples=1,
                                    init_cfg=None).to(dtype)
        clean = torch.rand(2, 1, IMG, IMG, dtype=dtype) * 2 - 1
        real = torch.rand(2, 1, IMG, IMG, dtype=dtype) * 2 - 1
        real = torch.where(_mask(REAL_BOXES, IMG).to(dtype) > 0, real.abs(), real)
        batch = dict(clean=clean, mask=_mask(SYN_BOXES, IMG).to(dtype),
                     syn_samples=det_samples(SYN_BOXES, IMG, dtype),
                     real=_gan_to_detector(real), real_samples=det_samples(REAL_BOXES, IMG, dtype))
        return det, gen, batch

    return make


def _mmdet_unroll(det, syn_inputs, batch, mode, fd_eps=0.01):
    return unroll(det, syn_inputs, batch['syn_samples'], batch['real'], batch['real_samples'],
                  inner_lr=0.01, mode=mode, fd_eps=fd_eps)


@pytest.fixture
def float64_nms(monkeypatch):
    """mmcv's CPU NMS kernel takes float32 only: run it on a float32 copy so that
    a float64 Faster R-CNN can make proposals (NMS is not differentiated)."""
    # ``mmcv.ops.nms`` the attribute is the function; the module is needed here.
    nms_module = importlib.import_module('mmcv.ops.nms')
    float32_nms = nms_module.nms

    def nms(boxes, scores, *args, **kwargs):
        _, keep = float32_nms(boxes.float(), scores.float(), *args, **kwargs)
        return torch.cat([boxes[keep], scores[keep, None]], 1), keep

    monkeypatch.setattr(nms_module, 'nms', nms)


@pytest.mark.parametrize('mode', ['exact', 'finite_diff'])
@pytest.mark.parametrize('name', ['retinanet', 'faster_rcnn'])
def test_mmdet_unroll_reaches_every_generator_parameter(mmdet_case, name, mode):
    det, gen, batch = mmdet_case(name)
    assert any(not p.requires_grad for p in det.parameters())  # frozen stem + stage 1
    for sample in batch['syn_samples']:
        # Boxes computed inside a graph: TwoStageDetector.loss deep-copies the
        # samples, which fails on such tensors unless unroll detaches them.
        boxes = sample.gt_instances.bboxes
        sample.gt_instances.bboxes = boxes * torch.ones((), requires_grad=True)
    before = _state(det)
    syn = _gan_to_detector(gen(batch['clean'], batch['mask']))
    result = _mmdet_unroll(det, syn, batch, mode)
    result.surrogate.backward()
    _assert_untouched(det, before)
    assert torch.isfinite(result.loss) and result.loss > 0
    torch.testing.assert_close(result.surrogate.detach(), result.loss)
    for pname, param in gen.named_parameters():
        assert param.grad is not None and torch.isfinite(param.grad).all(), pname
        assert param.grad.abs().max() > 0, pname


@pytest.mark.parametrize('name', ['retinanet', 'faster_rcnn'])
def test_mmdet_exact_and_finite_diff_agree(mmdet_case, float64_nms, name):
    det, gen, batch = mmdet_case(name, torch.float64)
    with torch.no_grad():
        syn = _gan_to_detector(gen(batch['clean'], batch['mask']))
    hyper = {}
    for mode in ('exact', 'finite_diff'):
        torch.manual_seed(7)  # same proposals and RoI samples in both modes
        x = syn.clone().requires_grad_(True)
        # In float64 the radius can be small enough that no ReLU kink lies
        # between theta - eps*v and theta + eps*v: both modes then compute the
        # same derivative (docs/unroll.md discusses fd_eps in fp32).
        result = _mmdet_unroll(det, x, batch, mode, fd_eps=1e-5)
        (hyper[mode], ) = torch.autograd.grad(result.surrogate, x)
    exact, fd = hyper['exact'].flatten(), hyper['finite_diff'].flatten()
    assert exact.norm() > 0
    assert F.cosine_similarity(exact, fd, dim=0) > 0.999
    assert _rel_err(fd, exact) < 1e-2


class _FirstOrderLinear(torch.autograd.Function):
    """A linear map whose backward, like a compiled kernel's, builds no graph."""

    @staticmethod
    def forward(ctx, x, weight):
        ctx.save_for_backward(x, weight)
        return x @ weight.t()

    @staticmethod
    def backward(ctx, grad):
        x, weight = ctx.saved_tensors
        with torch.no_grad():
            return grad @ weight, grad.t() @ x


class _CompiledOpDetector(ToyDetector):

    def forward(self, inputs, data_samples, mode='loss'):
        pred = _FirstOrderLinear.apply(inputs.mean((2, 3)), self.head.weight[:, :3])
        return dict(loss_reg=((pred - data_samples)**2).mean())


def test_exact_mode_refuses_a_disconnected_second_order_graph():
    """Issue 13.10: an op without double backward used to give a zero hypergradient."""
    _, gen, batch = _toy_case()
    det = _CompiledOpDetector().double()
    with pytest.raises(RuntimeError, match='does not depend on the synthetic images'):
        unroll(det, gen(batch['clean']), batch['syn_t'], batch['real'], batch['real_t'],
               INNER_LR, mode='exact')
    # finite_diff needs first-order gradients only: it still works.
    result = unroll(det, gen(batch['clean']), batch['syn_t'], batch['real'], batch['real_t'],
                    INNER_LR, mode='finite_diff')
    result.surrogate.backward()
    assert gen.conv.weight.grad.abs().sum() > 0


@pytest.mark.parametrize('mode', ['exact', 'finite_diff'])
def test_shared_syn_forward_gives_the_same_generator_gradient(mmdet_case, mode):
    """``syn_grad=True`` reads L_det^syn off the unroll's first forward: the
    generator's gradient of ``L_syn + unroll`` is the one of a separate
    ``L_syn`` forward plus the unshared unroll (float64, tiny RetinaNet)."""
    det, gen, batch = mmdet_case('retinanet', torch.float64)
    before = _state(det)

    def generator_grads(shared: bool) -> list:
        gen.zero_grad()
        syn = _gan_to_detector(gen(batch['clean'], batch['mask']))
        result = unroll(det, syn, batch['syn_samples'], batch['real'], batch['real_samples'],
                        inner_lr=0.01, mode=mode, syn_grad=shared)
        if shared:
            syn_loss, syn_term = result.syn_loss, result.syn_surrogate
        else:
            assert result.syn_loss is None and result.syn_surrogate is None
            with frozen(det):  # as DetectorGAN runs it: no gradient for the detector
                syn_term = functional_loss(det, syn, batch['syn_samples'])
            syn_loss = syn_term.detach()
        (syn_term + result.surrogate).backward()
        return [syn_loss, result.loss] + [p.grad.clone() for p in gen.parameters()]

    shared, separate = generator_grads(True), generator_grads(False)
    _assert_untouched(det, before)
    assert all(g.abs().sum() > 0 for g in shared[2:])
    for a, b in zip(shared, separate):
        torch.testing.assert_close(a, b, rtol=1e-10, atol=1e-12)


def test_functional_loss_leaves_batchnorm_statistics_alone(tiny_detector, det_samples):
    det = tiny_detector('retinanet')
    buffers = {n: b.clone() for n, b in det.named_buffers()}
    inputs = torch.rand(2, 3, IMG, IMG, requires_grad=True)
    samples = det_samples(SYN_BOXES, IMG)
    loss = functional_loss(det, inputs, samples)
    loss.backward()
    assert inputs.grad.abs().sum() > 0
    for name, buffer in det.named_buffers():
        assert torch.equal(buffer, buffers[name]), name
    # Same value as the detector's own train-mode loss (batch statistics).
    reference = det.parse_losses(det.loss(inputs.detach(), samples))[0]
    torch.testing.assert_close(loss.detach(), reference)



def test_virtual_step_losses_score_the_unrolled_step():
    det, gen, batch = _toy_case()
    before = _state(det)
    syn = gen(batch['clean']).detach()
    probe = [(batch['real'], batch['real_t']), (batch['clean'], batch['syn_t'])]
    losses = virtual_step_losses(det, syn, batch['syn_t'], probe, [INNER_LR, 0.0, 2 * INNER_LR],
                                 loss_fn=_sum_losses)
    assert [len(per_lr) for per_lr in losses] == [2, 2, 2]
    # The first probe batch is unroll's real batch: the same theta'.
    expected = unroll(det, syn, batch['syn_t'], batch['real'], batch['real_t'], INNER_LR,
                      loss_fn=_sum_losses).loss
    assert losses[0][0] == pytest.approx(expected.item(), rel=1e-12)
    assert losses[0][0] == pytest.approx(
        _reference_unrolled_loss(det, gen, batch, INNER_LR).item(), rel=1e-10)
    assert losses[2][0] == pytest.approx(
        _reference_unrolled_loss(det, gen, batch, 2 * INNER_LR).item(), rel=1e-10)
    # No step leaves theta; a step on the probe's own batch lowers its loss.
    at_theta = functional_loss(det, batch['real'], batch['real_t'], loss_fn=_sum_losses).item()
    assert losses[1][0] == pytest.approx(at_theta, rel=1e-12)
    own = virtual_step_losses(det, batch['real'], batch['real_t'], probe[:1], [INNER_LR],
                              loss_fn=_sum_losses)[0][0]
    assert own < at_theta
    _assert_untouched(det, before)
    with pytest.raises(ValueError, match='inner_lrs must be >= 0'):
        virtual_step_losses(det, syn, batch['syn_t'], probe, [-1.0], loss_fn=_sum_losses)
