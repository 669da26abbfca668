"""Equal real exposure: each real film is seen the same number of times in every arm."""
import pytest

from mmdgan.experiments.exposure import detector_iters, num_synthetic, real_passes


def test_equal_real_exposure_known_numbers():
    assert num_synthetic(87, 1.0) == 87 and num_synthetic(87, 0.5) == 44
    assert num_synthetic(87, 2) == 174 and num_synthetic(87, 0) == 0
    assert detector_iters(80, 0, 30, 4) == 600
    assert detector_iters(80, 80, 30, 4) == 1200  # twice the images, twice the iterations
    assert detector_iters(80, 40, 30, 4) == 900
    for syn in (0, 40, 80, 160):
        iters = detector_iters(80, syn, 30, 4)
        assert real_passes(80, syn, iters, 4) == 30.0
    # Not divisible by the batch: at most one partial batch more.
    iters = detector_iters(87, 87, 30, 4)
    assert iters == 1305 and 30 <= real_passes(87, 87, iters, 4) < 30 + 4 / 174


def test_exposure_errors():
    with pytest.raises(ValueError, match='ratio'):
        num_synthetic(10, -1)
    with pytest.raises(ValueError, match='epochs'):
        detector_iters(10, 0, 0, 4)
