import pytest
import torch

from mmdgan.models.discriminators import LocalPatchDiscriminator, PatchDiscriminator
from mmdgan.models.layers import crop_and_resize
from mmdgan.registry import MODELS


@pytest.mark.parametrize('norm', ['instance', 'batch', 'none'])
@pytest.mark.parametrize('in_channels', [1, 3])
def test_patch_discriminator_shapes_and_grads(norm, in_channels):
    disc = PatchDiscriminator(in_channels, base_channels=4, num_layers=3, norm=norm)
    img = torch.randn(2, in_channels, 64, 48, requires_grad=True)
    out = disc(img)
    # 3 stride-2 layers: /8, then two 4x4 stride-1 convolutions: -1 each.
    assert out.shape == (2, 1, 64 // 8 - 2, 48 // 8 - 2)
    out.mean().backward()
    assert img.grad.abs().sum() > 0
    for name, param in disc.named_parameters():
        assert param.grad is not None and param.grad.abs().sum() > 0, name


def test_patch_discriminator_receptive_field():
    # One output value of the default 3-layer PatchGAN sees a 70x70 patch.
    disc = PatchDiscriminator(1, base_channels=2, num_layers=3, norm='none')
    img = torch.zeros(1, 1, 128, 128, requires_grad=True)
    out = disc(img)
    (grad, ) = torch.autograd.grad(out[0, 0, 5, 5], img)
    rows = torch.nonzero(grad[0, 0].abs().sum(1)).squeeze(1)
    cols = torch.nonzero(grad[0, 0].abs().sum(0)).squeeze(1)
    assert rows.max() - rows.min() + 1 <= 70 and cols.max() - cols.min() + 1 <= 70
    assert rows.max() - rows.min() + 1 > 60


def test_patch_discriminator_spectral_norm():
    disc = PatchDiscriminator(1, base_channels=4, num_layers=2, spectral_norm=True)
    disc.train()
    for _ in range(30):  # power iterations converge
        disc(torch.randn(1, 1, 32, 32))
    conv = disc.net[0]
    sigma = torch.linalg.matrix_norm(conv.weight.reshape(conv.weight.shape[0], -1), ord=2)
    assert sigma.item() == pytest.approx(1.0, rel=0.05)


def test_patch_discriminator_errors():
    with pytest.raises(ValueError, match='norm'):
        PatchDiscriminator(1, norm='group')
    with pytest.raises(ValueError, match='num_layers'):
        PatchDiscriminator(1, num_layers=0)
    with pytest.raises(ValueError, match=r'\(B, 3, H, W\)'):
        PatchDiscriminator(3, base_channels=4)(torch.zeros(1, 1, 32, 32))


def test_local_discriminator_list_and_rois_agree():
    disc = LocalPatchDiscriminator(1, crop_size=24, base_channels=4, context=0.25).eval()
    img = torch.randn(2, 1, 40, 56)
    boxes = [torch.tensor([[4.0, 5.0, 20.0, 30.0], [30.0, 2.0, 50.0, 12.0]]),
             torch.tensor([[10.0, 10.0, 26.5, 21.0]])]
    rois = torch.tensor([[0, 4.0, 5.0, 20.0, 30.0], [0, 30.0, 2.0, 50.0, 12.0],
                         [1, 10.0, 10.0, 26.5, 21.0]])
    out = disc(img, boxes)
    assert out.shape[0] == 3 and out.shape[1] == 1
    torch.testing.assert_close(out, disc(img, rois))


def test_local_discriminator_judges_only_the_box():
    disc = LocalPatchDiscriminator(1, crop_size=24, base_channels=4)
    img = torch.randn(1, 1, 48, 48, requires_grad=True)
    box = [torch.tensor([[8.0, 16.0, 24.0, 40.0]])]
    disc(img, box).sum().backward()
    grad = img.grad[0, 0]
    assert grad[16:40, 8:24].abs().sum() > 0
    outside = grad.clone()
    outside[15:41, 7:25] = 0  # bilinear taps reach half a pixel past the box
    assert outside.abs().sum() == 0


def test_local_discriminator_crop_is_the_box_content():
    disc = LocalPatchDiscriminator(1, crop_size=24, base_channels=4)
    img = torch.randn(1, 1, 48, 48)
    # A box of exactly crop_size pixels on the pixel grid is copied verbatim.
    crops = disc.crop(img, [torch.tensor([[10.0, 3.0, 34.0, 27.0]])])
    torch.testing.assert_close(crops[0, 0], img[0, 0, 3:27, 10:34])


def test_local_discriminator_double_backward():
    # The generator loss through D_local must stay differentiable twice
    # (e.g. for gradient penalties and the exact unroll).
    disc = LocalPatchDiscriminator(1, crop_size=24, base_channels=2).double()
    img = torch.randn(1, 1, 32, 32, dtype=torch.float64, requires_grad=True)
    boxes = [torch.tensor([[3.3, 4.1, 20.7, 29.2]], dtype=torch.float64)]
    (grad, ) = torch.autograd.grad(disc(img, boxes).sum(), img, create_graph=True)
    (grad2, ) = torch.autograd.grad((grad**2).sum(), img)
    assert torch.isfinite(grad2).all() and grad2.abs().sum() > 0


def test_local_discriminator_errors_and_registry():
    with pytest.raises(ValueError, match='crop_size'):
        LocalPatchDiscriminator(1, crop_size=16, num_layers=3)
    disc = MODELS.build(dict(type='LocalPatchDiscriminator', in_channels=1, crop_size=24,
                             base_channels=4))
    with pytest.raises(ValueError, match='no boxes'):
        disc(torch.zeros(1, 1, 32, 32), [torch.zeros(0, 4)])
    with pytest.raises(ValueError, match=r'boxes\[0\]'):
        disc(torch.zeros(1, 1, 32, 32), [torch.zeros(3)])
    with pytest.raises(ValueError, match=r'\(N, 5\)'):
        disc(torch.zeros(1, 1, 32, 32), torch.zeros(2, 4))


def test_context_margin_enlarges_the_crop():
    img = torch.randn(1, 1, 40, 40)
    box = torch.tensor([[0, 10.0, 12.0, 20.0, 28.0]])
    wide = torch.tensor([[0, 5.0, 4.0, 25.0, 36.0]])
    torch.testing.assert_close(crop_and_resize(img, box, 16, context=0.5),
                               crop_and_resize(img, wide, 16))
