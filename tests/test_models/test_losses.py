import math

import pytest
import torch
from mmdet.models.losses import FocalLoss

from mmdgan.models.losses import GANLoss, PureSigmoidFocalLoss
from mmdgan.registry import MODELS


@pytest.mark.parametrize('target_is_real,expected', [(True, 2.125), (False, 0.625)])
def test_lsgan_values(target_is_real, expected):
    pred = torch.tensor([[0.5, -1.0]])
    loss = GANLoss('lsgan')
    assert loss(pred, target_is_real, is_disc=True).item() == pytest.approx(expected)
    assert loss(pred, target_is_real).item() == pytest.approx(expected)


def test_lsgan_custom_labels():
    loss = GANLoss('lsgan', real_label=0.9, fake_label=0.1)
    pred = torch.full((2, 1, 3, 3), 0.9)
    assert loss(pred, True).item() == pytest.approx(0.0, abs=1e-12)
    assert loss(pred, False).item() == pytest.approx(0.64)


@pytest.mark.parametrize('target_is_real,expected',
                         [(True, math.log1p(math.exp(-2.0))), (False, math.log1p(math.exp(2.0)))])
def test_vanilla_values(target_is_real, expected):
    loss = GANLoss('vanilla')
    assert loss(torch.tensor([2.0]), target_is_real).item() == pytest.approx(expected, rel=1e-6)
    assert loss(torch.zeros(4), target_is_real).item() == pytest.approx(math.log(2.0))


def test_hinge_values():
    pred = torch.tensor([0.5, -2.0, 3.0])
    loss = GANLoss('hinge', loss_weight=3.0)
    assert loss(pred, True, is_disc=True).item() == pytest.approx(3.5 / 3)
    assert loss(pred, False, is_disc=True).item() == pytest.approx(5.5 / 3)
    # Generator hinge loss is -mean(pred), weighted.
    assert loss(pred, True).item() == pytest.approx(-0.5 * 3.0)
    with pytest.raises(ValueError, match='target_is_real=True'):
        loss(pred, False)


def test_loss_weight_only_for_generator():
    pred = torch.tensor([0.5, -1.0])
    weighted = GANLoss('lsgan', loss_weight=2.0)
    assert weighted(pred, True).item() == pytest.approx(2 * 2.125)
    assert weighted(pred, True, is_disc=True).item() == pytest.approx(2.125)


def test_gan_loss_gradient_sign():
    # The generator's loss must push a fake's score towards "real".
    pred = torch.zeros(3, requires_grad=True)
    for gan_type in GANLoss.GAN_TYPES:
        (grad, ) = torch.autograd.grad(GANLoss(gan_type)(pred, True), pred)
        assert (grad < 0).all(), gan_type


def test_gan_loss_errors_and_registry():
    with pytest.raises(ValueError, match='gan_type'):
        GANLoss('wgan')
    with pytest.raises(ValueError, match='non-empty'):
        GANLoss()(torch.zeros(0), True)
    built = MODELS.build(dict(type='GANLoss', gan_type='hinge'))
    assert isinstance(built, GANLoss) and built.gan_type == 'hinge'


def _focal_inputs(dtype=torch.float32):
    gen = torch.Generator().manual_seed(0)
    pred = torch.randn(12, 3, generator=gen, dtype=dtype)
    labels = torch.randint(0, 4, (12, ), generator=gen)  # 3 = background
    weight = torch.rand(12, generator=gen, dtype=dtype)
    return pred, labels, weight


@pytest.mark.parametrize('kwargs', [dict(), dict(gamma=1.5, alpha=0.4, loss_weight=2.0),
                                    dict(reduction='sum')])
def test_pure_focal_loss_matches_mmdet(kwargs):
    pred, labels, weight = _focal_inputs()
    ours, theirs = PureSigmoidFocalLoss(**kwargs), FocalLoss(**kwargs)
    torch.testing.assert_close(ours(pred, labels), theirs(pred, labels))
    mean = dict(avg_factor=5.0, reduction_override='mean')
    torch.testing.assert_close(ours(pred, labels, weight, **mean),
                               theirs(pred, labels, weight, **mean))
    torch.testing.assert_close(ours(pred, labels, reduction_override='none'),
                               theirs(pred, labels, reduction_override='none'))
    soft = torch.rand(12, 3)
    torch.testing.assert_close(ours(pred, soft), theirs(pred, soft))


def test_pure_focal_loss_double_backward():
    pred, labels, weight = _focal_inputs(torch.float64)
    loss = PureSigmoidFocalLoss()
    assert torch.autograd.gradgradcheck(
        lambda p: loss(p, labels, weight, avg_factor=4.0), (pred.requires_grad_(), ))


class _LooksCuda(torch.Tensor):
    """CPU tensor that reports ``is_cuda``: makes mmdet pick its CUDA branch."""

    @property
    def is_cuda(self):
        return True


def test_pure_focal_loss_avoids_compiled_kernel(monkeypatch):
    import mmdet.models.losses.focal_loss as focal_module

    def compiled(*args, **kwargs):
        raise AssertionError('compiled sigmoid_focal_loss called')

    monkeypatch.setattr(focal_module, 'sigmoid_focal_loss', compiled)
    monkeypatch.setattr(torch.cuda, 'is_available', lambda: True)
    pred, labels, _ = _focal_inputs()
    pred = pred.as_subclass(_LooksCuda)
    with pytest.raises(AssertionError, match='compiled'):
        FocalLoss()(pred, labels)
    assert torch.isfinite(PureSigmoidFocalLoss()(pred, labels))
