"""Class-conditional inserter (one mask channel per class) and local discriminator."""
import pytest
import torch

from mmdgan.registry import MODELS
from mmdgan.structures import class_masks, rasterize_class_boxes
from mmdgan.utils import register_all_modules

register_all_modules()
GEN = dict(type='MaskedResnetGenerator', in_channels=3, base_channels=4, num_blocks=1,
           num_downsamples=1, num_classes=2)


def _masks(labels):
    boxes = torch.tensor([[4.0, 4.0, 12.0, 12.0], [18.0, 16.0, 28.0, 26.0]])
    union = torch.zeros(1, 1, 32, 32)
    union[..., 4:12, 4:12] = 1
    union[..., 16:26, 18:28] = 1
    return union, class_masks(union, [boxes], [torch.tensor(labels)], 2), boxes


def test_class_masks_split_the_union_by_class():
    union, split, _ = _masks([0, 1])
    assert split.shape == (1, 2, 32, 32)
    assert torch.equal(split.amax(1, keepdim=True), union)
    assert split[0, 0, 5, 5] == 1 and split[0, 1, 5, 5] == 0 and split[0, 1, 20, 20] == 1
    drawn = rasterize_class_boxes([[4, 4, 12, 12]], [1], 2, 32, 32)
    assert drawn[0].sum() == 0 and drawn[1].sum() == 64


def test_generator_draws_per_class_and_keeps_the_outside():
    torch.manual_seed(0)
    gen = MODELS.build(dict(GEN, composite='hard'))
    gen.init_weights()
    img = torch.rand(1, 3, 32, 32) * 2 - 1
    union, as_01, _ = _masks([0, 1])
    _, as_10, _ = _masks([1, 0])
    a, b = gen(img, as_01), gen(img, as_10)
    outside = union == 0
    assert torch.equal(a.masked_select(outside.expand_as(a)), img.masked_select(
        outside.expand_as(img)))
    assert not torch.allclose(a, b)  # the class changes what is drawn
    with pytest.raises(ValueError, match=r'mask must be \(B, 2, H, W\)'):
        gen(img, union)


def test_local_crop_inserter_and_one_class_default():
    torch.manual_seed(0)
    inserter = MODELS.build(dict(type='LocalCropInserter', generator=GEN, crop_size=16,
                                 min_window=8))
    img = torch.rand(1, 3, 32, 32) * 2 - 1
    union, split, boxes = _masks([0, 1])
    out = inserter(img, split, [boxes])
    assert out.shape == img.shape and torch.equal(out[..., 0, 31], img[..., 0, 31])
    one = MODELS.build(dict(GEN, num_classes=1))
    assert one.net[1].in_channels == 4  # image + one mask, as before classes existed


def test_local_discriminator_sees_the_class():
    disc = MODELS.build(dict(type='LocalPatchDiscriminator', in_channels=3, crop_size=24,
                             base_channels=4, num_layers=2, num_classes=2))
    crops = torch.rand(3, 3, 24, 24)
    cond = disc.condition(crops, torch.tensor([0, 1, 1]))
    assert cond.shape == (3, 5, 24, 24)
    assert torch.equal(cond[0, 3], torch.ones(24, 24)) and cond[0, 4].sum() == 0
    assert disc(cond).shape[0] == 3
    with pytest.raises(ValueError, match=r'crops must be \(N>0, 5, h, w\)'):
        disc(crops)
