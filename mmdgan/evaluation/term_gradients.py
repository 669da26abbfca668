"""How hard each generator loss term pulls on the inserter: per-term gradient norms.

DetectorGAN's inserter ``G_X`` follows the sum of its terms (adversarial,
identity, ``L_det^syn``, the unroll's hypergradient). Which one dominates, and
whether the detector terms point with or against the adversarial one, decides
whether the detector terms can undo what stage 1 learnt. This module measures,
on a few training batches, the L2 norm of each weighted term's gradient w.r.t.
``G_X``'s parameters and the cosine between the terms' gradients.

The unroll term has no tensor of its own in ``generator_losses``' terms (its
surrogate is added straight into the total), so its gradient is the total's
minus every other term's.
"""
import copy
import itertools
from typing import Dict, Iterable, List, Tuple

import numpy as np
import torch

from mmdgan.models.detector_gan import unwrap

#: Name of the unroll's gradient in the results.
UNROLL = 'loss_unroll'


def _flat_grad(loss: torch.Tensor, params: List[torch.Tensor]) -> torch.Tensor:
    grads = torch.autograd.grad(loss, params, retain_graph=True, allow_unused=True)
    return torch.cat([(torch.zeros_like(p) if g is None else g).flatten()
                      for g, p in zip(grads, params)])


def batch_term_gradients(model: torch.nn.Module, batch: dict
                         ) -> Tuple[Dict[str, torch.Tensor], Dict[str, float]]:
    """Flattened gradient of every weighted generator term w.r.t. ``G_X``, one batch.

    Args:
        model: A ``DetectorGAN`` (weights as they are; nothing is stepped).
        batch: One batch of its unpaired training dataloader.

    Returns:
        ``(grads, values)``: term name (the log names, plus ``loss_unroll``
        when the unroll is on) to the gradient of that weighted term, a 1-d
        tensor; and every term's weighted value (``loss_unroll`` is
        ``weight * L_real(theta')``).
    """
    params = [p for p in unwrap(model.generator_x).parameters() if p.requires_grad]
    if not params:
        raise ValueError('the inserter generator_x has no trainable parameters')
    data = model.data_preprocessor(copy.deepcopy(batch), True)
    terms, total, _ = model.generator_losses(data['clean'], data['labelled'])
    grads = {name: _flat_grad(term, params) for name, term in terms.items()
             if term.requires_grad}
    if model.unroll_active:
        grads[UNROLL] = _flat_grad(total, params) - sum(grads.values())
    return grads, {name: float(term) for name, term in terms.items()}


def term_gradient_stats(model: torch.nn.Module, batches: Iterable[dict]) -> dict:
    """Mean ± s.d. over batches of each term's gradient norm, value and cosines.

    Returns:
        ``{'norms': {term: {'mean', 'sd', 'values'}}, 'values': {term: {...}},
        'cosine': {'a|b': {...}}, 'num_batches': n}``; ``cosine`` holds every
        pair of terms.
    """
    norms: Dict[str, List[float]] = {}
    values: Dict[str, List[float]] = {}
    cosines: Dict[str, List[float]] = {}
    count = 0
    for batch in batches:
        grads, term_values = batch_term_gradients(model, batch)
        count += 1
        for name, value in term_values.items():
            values.setdefault(name, []).append(value)
        for name, grad in grads.items():
            norms.setdefault(name, []).append(float(grad.norm()))
        for (a, ga), (b, gb) in itertools.combinations(sorted(grads.items()), 2):
            denom = float(ga.norm() * gb.norm())
            if denom > 0:
                cosines.setdefault(f'{a}|{b}', []).append(float(ga @ gb) / denom)
    if not count:
        raise ValueError('no batches to measure')

    def summary(values: List[float]) -> dict:
        arr = np.asarray(values)
        return dict(mean=float(arr.mean()), sd=float(arr.std(ddof=1)) if len(arr) > 1 else 0.0,
                    values=values)

    return dict(norms={k: summary(v) for k, v in norms.items()},
                values={k: summary(v) for k, v in values.items()},
                cosine={k: summary(v) for k, v in cosines.items()}, num_batches=count)
