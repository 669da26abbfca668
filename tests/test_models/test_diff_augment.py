"""DiffAugment: random, differentiable, applied to real and fake alike before each discriminator."""
import copy

import pytest
import torch

from mmdgan.models.augmentations import DiffAugment
from mmdgan.models.augmentations.diff_augment import (
    random_cutout,
    random_translation,
)
from tests.test_engine.tiny_cfg import build_tiny, load_tiny_cfg


def _images(seed=0, shape=(4, 1, 16, 16)):
    return torch.rand(shape, generator=torch.Generator().manual_seed(seed)) * 2 - 1


@pytest.mark.parametrize('policy', [['color'], ['translation'], ['cutout'],
                                    ['color', 'translation', 'cutout']])
def test_each_policy_changes_images_and_passes_gradients(policy):
    augment = DiffAugment(policy=policy)
    x = _images().requires_grad_(True)
    y = augment(x, torch.Generator().manual_seed(1))
    assert y.shape == x.shape
    assert not torch.equal(y, x)
    weights = torch.rand_like(y)
    (y * weights).sum().backward()
    assert x.grad is not None and torch.isfinite(x.grad).all()
    assert x.grad.abs().sum() > 0


def test_same_generator_same_draws_and_images_draw_their_own():
    augment = DiffAugment()
    x = _images(shape=(1, 1, 16, 16)).expand(4, -1, -1, -1).contiguous()  # one image, 4 times
    a = augment(x, torch.Generator().manual_seed(3))
    b = augment(x, torch.Generator().manual_seed(3))
    assert torch.equal(a, b)
    assert not all(torch.equal(a[0], a[i]) for i in range(1, 4))


def test_translation_moves_pixels_and_repeats_the_border():
    x = torch.arange(64.).reshape(1, 1, 8, 8)
    gen = torch.Generator().manual_seed(0)
    for _ in range(10):
        y = random_translation(x, 0.25, gen)
        # Every output pixel is an input pixel: a shift, no interpolation, no frame.
        assert set(y.flatten().tolist()) <= set(x.flatten().tolist())
    # The gradient of each source pixel counts the output pixels it became.
    x = x.clone().requires_grad_(True)
    y = random_translation(x, 0.25, torch.Generator().manual_seed(1))
    y.sum().backward()
    assert x.grad.sum() == y.numel()


def test_cutout_zeroes_one_square_of_the_given_side():
    x = torch.ones(8, 1, 16, 16)
    y = random_cutout(x, 0.25, torch.Generator().manual_seed(0))
    zeroed = (y == 0).flatten(1).sum(1)
    # A 4x4 square, less where it hangs over the edge.
    assert (zeroed <= 16).all() and (zeroed > 0).all()


def test_prob_skips_whole_batches():
    x = _images()
    augment = DiffAugment(prob=0.5)
    gen = torch.Generator().manual_seed(0)
    same = sum(torch.equal(augment(x, gen), x) for _ in range(40))
    assert 5 < same < 35


@pytest.mark.parametrize('kwargs, field', [
    (dict(policy=['blur']), 'policy'), (dict(policy=[]), 'policy'),
    (dict(translation_ratio=0.5), 'translation_ratio'), (dict(cutout_ratio=0), 'cutout_ratio'),
    (dict(prob=0), 'prob')])
def test_bad_settings_are_refused_by_name(kwargs, field):
    with pytest.raises(ValueError, match=f'DiffAugment.{field}'):
        DiffAugment(**kwargs)


class _Spy(torch.nn.Module):
    """Record every batch the augmentation is asked to transform."""

    def __init__(self, augment):
        super().__init__()
        self.augment = augment
        self.calls = []

    def forward(self, x):
        self.calls.append(x)
        return self.augment(x)


@pytest.fixture(scope='module')
def cfg(demo_data):
    return load_tiny_cfg(demo_data, **{
        'model.disc_augment': dict(type='DiffAugment'),
        'model.loss_weights.unroll': 0.0})


def test_discriminators_see_real_and_fake_through_the_augmentation(cfg):
    model, _, batch = build_tiny(cfg)
    spy = _Spy(model.disc_augment)
    model.disc_augment = spy
    data = model.data_preprocessor(batch, True)
    clean, labelled = data['clean'], data['labelled']
    _, _, imgs = model.generator_losses(clean, labelled)
    # The generators' adversarial terms: G_X's and G_Y's whole images and G_X's crops.
    assert len(spy.calls) == 3
    assert all(c.requires_grad for c in spy.calls)
    spy.calls.clear()
    fakes = model.discriminator_fakes(clean, imgs['fake_y'], imgs['fake_x'])
    terms = model.discriminator_losses(clean, labelled, **fakes)
    assert set(terms) == {'loss_d_global_x', 'loss_d_global_y', 'loss_d_local_x'}
    # One real and one fake batch per discriminator, in that order, of the same kind.
    reals, fakes_seen = spy.calls[0::2], spy.calls[1::2]
    assert len(spy.calls) == 6
    assert torch.equal(reals[0], labelled['inputs']) and torch.equal(reals[1], clean['inputs'])
    for real, fake in zip(reals, fakes_seen):
        assert real.shape[1:] == fake.shape[1:]
        assert not fake.requires_grad


def test_adversarial_gradient_reaches_the_inserter_through_the_augmentation(cfg):
    cfg = copy.deepcopy(cfg)
    cfg.model.loss_weights = dict(adv_global=1.0, adv_local=1.0, cycle=0.0, identity=0.0,
                                  det_syn=0.0, unroll=0.0)
    model, _, batch = build_tiny(cfg)
    data = model.data_preprocessor(batch, True)
    terms, total, _ = model.generator_losses(data['clean'], data['labelled'])
    assert set(terms) == {'loss_g_adv_global_x', 'loss_g_adv_global_y', 'loss_g_adv_local_x'}
    total.backward()
    grads = [p.grad for p in model.generator_x.parameters()]
    assert all(g is not None and torch.isfinite(g).all() for g in grads)
    assert sum(g.abs().sum() for g in grads) > 0
