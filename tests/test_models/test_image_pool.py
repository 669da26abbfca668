"""ImagePool: CycleGAN's buffer of recent fakes, exact through a state-dict round trip."""
import pytest
import torch

from mmdgan.models.layers import ImagePool


def _batch(start: int, n: int = 3) -> torch.Tensor:
    return torch.arange(start, start + n, dtype=torch.float32).reshape(n, 1, 1, 1).expand(
        n, 1, 2, 2).clone()


def test_size_zero_returns_the_batch_detached():
    pool = ImagePool(0)
    fakes = torch.rand(2, 1, 4, 4, requires_grad=True)
    out = pool(fakes)
    assert torch.equal(out, fakes) and not out.requires_grad
    assert pool.get_extra_state().numel() == 0


def test_fills_then_swaps_with_stored_fakes():
    pool = ImagePool(4)
    assert torch.equal(pool(_batch(0)), _batch(0))
    values = set()
    for start in range(10, 100, 10):
        out = pool(_batch(start))
        assert out.shape == (3, 1, 2, 2)
        values |= set(out[:, 0, 0, 0].tolist())
        stored = set(pool.get_extra_state()[:, 0, 0, 0].tolist())
        assert len(stored) == 4
    # Some queries returned older fakes instead of the new ones.
    assert values - set(range(10, 100, 10)) - {v + d for v in range(10, 100, 10)
                                                 for d in (1, 2)}


def test_state_dict_round_trip_continues_identically():
    pool = ImagePool(5, seed=3)
    for start in range(0, 40, 4):
        pool(_batch(start, 2))
    state = pool.state_dict()
    restored = ImagePool(5, seed=3)
    restored.load_state_dict(state)
    assert torch.equal(restored.get_extra_state(), pool.get_extra_state())
    for start in range(100, 140, 4):
        assert torch.equal(pool(_batch(start, 2)), restored(_batch(start, 2)))
    assert torch.equal(restored.get_extra_state(), pool.get_extra_state())


def test_bad_inputs_are_rejected():
    with pytest.raises(ValueError, match='pool size'):
        ImagePool(-1)
    pool = ImagePool(2)
    pool(torch.zeros(1, 1, 4, 4))
    with pytest.raises(ValueError, match='one size'):
        pool(torch.zeros(1, 1, 5, 5))
    with pytest.raises(ValueError, match='pool size is 2'):
        ImagePool(2).set_extra_state(torch.zeros(3, 1, 4, 4))
