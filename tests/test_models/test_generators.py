import pytest
import torch

from mmdgan.models.generators import MaskedResnetGenerator
from mmdgan.registry import MODELS


def _box_mask(batch: int, height: int, width: int, box) -> torch.Tensor:
    x1, y1, x2, y2 = box
    mask = torch.zeros(batch, 1, height, width)
    mask[..., y1:y2, x1:x2] = 1
    return mask


def _tiny(in_channels: int = 1, **kwargs) -> MaskedResnetGenerator:
    torch.manual_seed(0)
    kwargs = dict(dict(base_channels=4, num_blocks=1, num_downsamples=2), **kwargs)
    return MaskedResnetGenerator(in_channels, **kwargs)


@pytest.mark.parametrize('upsample', ['nearest', 'bilinear'])
@pytest.mark.parametrize('in_channels', [1, 3])
@pytest.mark.parametrize('size', [(32, 32), (37, 51)])
def test_hard_composite_keeps_outside_bit_identical(in_channels, size, upsample):
    gen = _tiny(in_channels, upsample=upsample)
    img = torch.rand(2, in_channels, *size) * 2 - 1
    mask = _box_mask(2, *size, (5, 7, 20, 25))
    out = gen(img, mask)
    assert out.shape == img.shape
    outside = mask.expand_as(img) == 0
    assert torch.equal(out[outside], img[outside])
    inside = ~outside
    assert not torch.allclose(out[inside], img[inside])
    assert out.abs().max() <= 1


def test_feather_composite_blends_only_near_the_box():
    radius = 3
    gen = _tiny(composite='feather', feather_radius=radius)
    img = torch.rand(1, 1, 40, 40) * 2 - 1
    box = (12, 10, 24, 30)
    mask = _box_mask(1, 40, 40, box)
    weight = gen.blend_weight(mask)
    assert torch.equal(weight[mask == 1], torch.ones(int(mask.sum())))
    ring = _box_mask(1, 40, 40, (box[0] - radius, box[1] - radius, box[2] + radius,
                                 box[3] + radius))
    band = (ring == 1) & (mask == 0)
    assert (weight[band] > 0).all() and (weight[band] <= 1).all()
    assert (weight[ring == 0] == 0).all()
    out = gen(img, mask)
    far = (ring == 0).expand_as(img)
    assert torch.equal(out[far], img[far])
    assert not torch.allclose(out[band], img[band])


@pytest.mark.parametrize('composite', ['hard', 'feather'])
def test_gradients_reach_every_parameter(composite):
    gen = _tiny(3, composite=composite, num_downsamples=1)
    img = torch.rand(2, 3, 33, 30) * 2 - 1
    mask = _box_mask(2, 33, 30, (4, 6, 22, 27))
    target = torch.rand_like(img)
    ((gen(img, mask) - target)**2).mean().backward()
    # No bias sits before an InstanceNorm (it would be cancelled), so every
    # parameter must receive a real gradient.
    for name, param in gen.named_parameters():
        assert param.grad is not None and torch.isfinite(param.grad).all(), name
        assert param.grad.abs().max() > 0, name


def test_generator_validation_and_registry():
    with pytest.raises(ValueError, match='composite'):
        MaskedResnetGenerator(1, composite='soft')
    gen = MODELS.build(dict(type='MaskedResnetGenerator', in_channels=3, base_channels=4,
                            num_blocks=0, num_downsamples=1))
    with pytest.raises(ValueError, match=r'img must be \(B, 3, H, W\)'):
        gen(torch.zeros(1, 1, 16, 16), torch.zeros(1, 1, 16, 16))
    with pytest.raises(ValueError, match='mask must be'):
        gen(torch.zeros(1, 3, 16, 16), torch.zeros(1, 2, 16, 16))
    out = gen(torch.zeros(1, 3, 16, 16), torch.zeros(1, 1, 16, 16))
    assert torch.equal(out, torch.zeros(1, 3, 16, 16))


def test_bilinear_decoder_has_no_block_grid():
    """Nearest resize-convolution repeats each bottleneck value over a 4 x 4 block
    (before the last 7 x 7 convolution smooths it); bilinear does not."""
    import torch.nn as nn
    for mode in ('nearest', 'bilinear'):
        gen = _tiny(upsample=mode)
        ups = [m for m in gen.net if isinstance(m, nn.Upsample)]
        assert len(ups) == 2 and all(m.mode == mode for m in ups)
        x = torch.randn(1, 8, 4, 4)
        up = ups[0](x)
        blocks_equal = torch.equal(up[..., ::2, ::2], up[..., 1::2, 1::2])
        assert blocks_equal == (mode == 'nearest')
    with pytest.raises(ValueError, match='upsample must be one of'):
        _tiny(upsample='bicubic')


def test_residual_output_starts_as_identity_and_learns():
    gen = _tiny(output='residual')
    gen.init_weights()
    img = torch.rand(2, 1, 32, 32) * 2 - 1
    mask = _box_mask(2, 32, 32, (6, 8, 22, 26))
    assert torch.equal(gen(img, mask), img)
    # The zero head passes no gradient upstream at first; one step on the
    # head opens the path to every other layer.
    target = img + 0.5 * mask
    optim = torch.optim.SGD(gen.parameters(), lr=0.1)
    for _ in range(2):
        optim.zero_grad()
        loss = ((gen(img, mask) - target)**2).mean()
        loss.backward()
        optim.step()
    for name, param in gen.named_parameters():
        assert param.grad is not None and param.grad.abs().max() > 0, name
    out = gen(img, mask)
    outside = mask.expand_as(img) == 0
    assert torch.equal(out[outside], img[outside])
    assert ((out - target)**2).mean() < ((img - target)**2).mean()
    assert out.abs().max() <= 1
    with pytest.raises(ValueError, match='output must be one of'):
        _tiny(output='delta')
