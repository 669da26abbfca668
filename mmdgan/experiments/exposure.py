"""Equal real exposure: every arm's detector sees each real training film equally often.

Adding synthetic images to a fixed iteration count dilutes the real films
(at one synthetic image per real one, each real film is seen half as often).
Instead the schedule is a number of *epochs over the real films*: an arm with
``n_syn`` synthetic images next to ``n_real`` real ones runs
``ceil(epochs * (n_real + n_syn) / batch)`` iterations. The detector's sampler
draws a fresh permutation of the concatenated set per epoch, so each real
film is seen ``epochs`` times (plus at most one partial batch); only the
synthetic images are extra.
"""
import math


def num_synthetic(num_real: int, ratio: float) -> int:
    """Synthetic images for ``num_real`` real ones at ``ratio`` synthetic per real."""
    if ratio < 0:
        raise ValueError(f'synthetic-per-real ratio must be >= 0, got {ratio}')
    if num_real < 1:
        raise ValueError(f'num_real must be >= 1, got {num_real}')
    return 0 if ratio == 0 else max(1, int(round(ratio * num_real)))


def detector_iters(num_real: int, num_syn: int, epochs: float, batch_size: int) -> int:
    """Iterations that give ``epochs`` passes over the real films with ``num_syn`` added."""
    if epochs <= 0 or batch_size < 1:
        raise ValueError(f'epochs ({epochs}) must be > 0 and batch_size ({batch_size}) >= 1')
    return max(1, math.ceil(epochs * (num_real + num_syn) / batch_size))


def real_passes(num_real: int, num_syn: int, iters: int, batch_size: int) -> float:
    """Expected number of times each real film is seen in ``iters`` iterations."""
    return iters * batch_size / (num_real + num_syn)
