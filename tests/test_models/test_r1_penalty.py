"""R1Penalty: gamma/2 |grad_x D(x)|^2 on real inputs, lazy."""
import pytest
import torch

from mmdgan.models.losses import R1Penalty


def test_penalty_of_a_linear_discriminator():
    weight = torch.tensor([[1.0, -2.0, 3.0]], requires_grad=True)

    def disc(x):
        return x @ weight.t()

    real = torch.randn(5, 3)
    penalty = R1Penalty(gamma=2.0, interval=3)(disc, real)
    # grad_x = w for every sample: 0.5 * gamma * interval * |w|^2.
    assert torch.isclose(penalty, torch.tensor(0.5 * 2.0 * 3 * 14.0))
    penalty.backward()
    assert torch.allclose(weight.grad, 0.5 * 2.0 * 3 * 2 * weight.detach())


def test_patch_maps_count_as_one_score_per_image():
    """A PatchGAN map of 4 copies of the same linear score has the penalty of one."""
    weight = torch.tensor([[1.0, -2.0, 3.0]])
    real = torch.randn(5, 3)
    single = R1Penalty()(lambda x: x @ weight.t(), real)
    patches = R1Penalty()(lambda x: (x @ weight.t())[:, :, None, None].expand(-1, 1, 2, 2),
                          real)
    assert torch.isclose(single, patches)


def test_lazy_schedule():
    r1 = R1Penalty(interval=4)
    assert [r1.due(i) for i in range(6)] == [True, False, False, False, True, False]


@pytest.mark.parametrize('kwargs, field', [(dict(gamma=0), 'gamma'), (dict(interval=0), 'interval'),
                                           (dict(interval=1.5), 'interval')])
def test_bad_settings_are_refused_by_name(kwargs, field):
    with pytest.raises(ValueError, match=f'R1Penalty.{field}'):
        R1Penalty(**kwargs)
