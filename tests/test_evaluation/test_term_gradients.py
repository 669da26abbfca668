"""Per-term gradient norms of the inserter: each term measured on its own, at its weight."""
import torch

from mmdgan.evaluation.term_gradients import UNROLL, batch_term_gradients, term_gradient_stats
from tests.test_engine.tiny_cfg import build_tiny, load_tiny_cfg


def _grads(model, batch, seed=0):
    torch.manual_seed(seed)
    return batch_term_gradients(model, batch)


def test_each_term_gradient_scales_with_its_weight_and_the_unroll_is_measured(demo_data):
    model, _, batch = build_tiny(load_tiny_cfg(demo_data))
    assert model.unroll_active
    grads, values = _grads(model, batch)
    assert {'loss_det_syn', 'loss_g_adv_local_x', UNROLL} <= set(grads)
    assert all(g.dim() == 1 and torch.isfinite(g).all() for g in grads.values())
    assert grads[UNROLL].norm() > 0 and grads['loss_det_syn'].norm() > 0
    assert set(values) >= {'loss_det_syn', 'loss_unroll'}

    model.loss_weights['det_syn'] *= 2
    doubled, doubled_values = _grads(model, batch)
    torch.testing.assert_close(doubled['loss_det_syn'], 2 * grads['loss_det_syn'])
    torch.testing.assert_close(doubled['loss_g_adv_local_x'], grads['loss_g_adv_local_x'])
    assert abs(doubled_values['loss_det_syn'] - 2 * values['loss_det_syn']) < 1e-5

    model.loss_weights['det_syn'] = 0.0
    assert 'loss_det_syn' not in _grads(model, batch)[0]


def test_stats_average_over_batches_with_cosines_between_terms(demo_data):
    model, _, batch = build_tiny(load_tiny_cfg(demo_data))
    stats = term_gradient_stats(model, [batch, batch])
    assert stats['num_batches'] == 2
    assert len(stats['norms']['loss_det_syn']['values']) == 2
    pair = f'loss_det_syn|{UNROLL}'
    assert -1 <= stats['cosine'][pair]['mean'] <= 1
