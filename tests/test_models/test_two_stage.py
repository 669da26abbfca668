"""Two-stage GAN training: stage 1 without a detector, stage 2 from its weights (init_from)."""
import copy

import pytest
import torch

from mmdgan.models.stage_init import GAN_MODULES  # noqa: E402
from tests.test_engine.tiny_cfg import build_tiny, load_tiny_cfg

#: What turns the tiny DetectorGAN config into its stage 1.
STAGE1 = {
    'model.detector': None,
    'model.loss_weights.adv_global': 0.0,
    'model.loss_weights.det_syn': 0.0,
    'model.loss_weights.unroll': 0.0,
    'model.disc_augment': dict(type='DiffAugment'),
    'model.r1': dict(type='R1Penalty', gamma=1.0, interval=1),
    'model.inserter_ema': dict(momentum=0.5),
}


def stage1_cfg(demo_data, **options):
    cfg = load_tiny_cfg(demo_data, **{**STAGE1, **options})
    cfg.optim_wrapper.pop('detector')
    for key in ('val_cfg', 'val_dataloader', 'val_evaluator', 'test_cfg', 'test_dataloader',
                'test_evaluator'):
        cfg[key] = None
    cfg.param_scheduler = dict(generators=[], discriminators=[])
    return cfg


def _snapshot(module):
    return {k: v.clone() for k, v in module.state_dict().items()}


def _same(module, snapshot):
    return all(torch.equal(v, snapshot[k]) for k, v in module.state_dict().items())


def test_stage1_step_has_no_detector_and_trains_only_what_it_uses(demo_data):
    model, optim_wrapper, batch = build_tiny(stage1_cfg(demo_data))
    assert model.detector is None
    assert not any(k.startswith('detector.') for k in model.state_dict())
    assert set(optim_wrapper.keys()) == {'generators', 'discriminators'}
    before = {n: _snapshot(getattr(model, n)) for n in GAN_MODULES}
    log = model.train_step(batch, optim_wrapper)
    assert set(log) == {'loss_g_adv_local_x', 'loss_g_cycle_x', 'loss_g_cycle_y',
                        'loss_g_identity_x', 'loss_g_identity_y', 'loss_g', 'loss_d_local_x',
                        'loss_d_r1_local_x'}
    assert all(torch.isfinite(v) for v in log.values())
    for name in ('generator_x', 'generator_y', 'disc_local_x'):
        assert not _same(getattr(model, name), before[name]), name
    # adv_global=0: no generator term uses the global discriminators, so they do not train.
    for name in ('disc_global_x', 'disc_global_y'):
        assert _same(getattr(model, name), before[name]), name


def test_stage1_without_cycle_runs_no_remover(demo_data, monkeypatch):
    """The shipped stage 1 (``cycle=0``): no term trains G_Y, so it never runs."""
    model, optim_wrapper, batch = build_tiny(
        stage1_cfg(demo_data, **{'model.loss_weights.cycle': 0.0}))
    assert not model.remover_trained
    calls = []
    monkeypatch.setattr(model.generator_y, 'forward', lambda *a, **k: calls.append(a))
    before = _snapshot(model.generator_y)
    log = model.train_step(batch, optim_wrapper)
    assert calls == [] and _same(model.generator_y, before)
    assert set(log) == {'loss_g_adv_local_x', 'loss_g_identity_x', 'loss_g', 'loss_d_local_x',
                        'loss_d_r1_local_x'}


def test_stage1_step_never_touches_a_detector_it_was_given(demo_data, monkeypatch):
    """The same step with a detector attached: no detector forward, no parameter or buffer
    change. (Stage 1 has none: this checks that its code path never reaches for one.)"""
    cfg = load_tiny_cfg(demo_data, **{k: v for k, v in STAGE1.items() if k != 'model.detector'})
    model, optim_wrapper, batch = build_tiny(cfg)
    detector = model.detector
    model.detector = None  # the stage-1 path
    calls = []
    monkeypatch.setattr(detector, 'forward', lambda *a, **k: calls.append(a))
    before = _snapshot(detector)
    model.train_step(batch, optim_wrapper)
    assert calls == []
    assert _same(detector, before)
    assert all(p.grad is None for p in detector.parameters())


@pytest.mark.parametrize('option, needs', [
    ({'model.loss_weights.det_syn': 0.1}, 'det_syn'),
    ({'model.loss_weights.unroll': 0.1}, r'loss_weights\.unroll'),
    ({'model.train_cfg.det_warmup_iters': 5}, r'train_cfg\.det_warmup_iters')])
def test_stage1_refuses_detector_terms(demo_data, option, needs):
    cfg = stage1_cfg(demo_data, **option)
    with pytest.raises(ValueError, match=f'detector is None.*{needs}'):
        build_tiny(cfg)


def test_stage1_has_nothing_to_validate(demo_data):
    model, _, _ = build_tiny(stage1_cfg(demo_data))
    with pytest.raises(ValueError, match='stage 1'):
        model.val_step(dict(inputs=[], data_samples=[]))


@pytest.fixture(scope='module')
def stage1_checkpoint(demo_data, tmp_path_factory):
    """Stage 1 trained two steps, saved as tools/train.py would (``state_dict``)."""
    model, optim_wrapper, batch = build_tiny(stage1_cfg(demo_data))
    for _ in range(2):
        model.train_step(copy.deepcopy(batch), optim_wrapper)
    path = tmp_path_factory.mktemp('stage1') / 'iter_2.pth'
    torch.save(dict(state_dict=model.state_dict(), optimizer=optim_wrapper.state_dict(),
                    meta=dict(iter=2)), path)
    return path, model


def test_stage2_starts_from_stage1_generators_and_discriminators(demo_data, stage1_checkpoint):
    path, stage1 = stage1_checkpoint
    stage2_options = {'model.inserter_ema': dict(momentum=0.5),
                      'model.disc_augment': dict(type='DiffAugment')}
    fresh, _, _ = build_tiny(load_tiny_cfg(demo_data, **stage2_options))
    model, optim_wrapper, batch = build_tiny(
        load_tiny_cfg(demo_data, **stage2_options, **{'model.init_from': str(path)}))
    # G_X and its average start from stage 1's average (the inserter a stage-1 checkpoint is
    # picked by), not from the raw G_X; the other modules from their own weights.
    assert not _same(stage1.generator_x, stage1.generator_x_ema.state_dict())
    assert _same(model.generator_x, stage1.generator_x_ema.state_dict())
    assert _same(model.generator_x_ema, stage1.generator_x_ema.state_dict())
    for name in GAN_MODULES:
        if name != 'generator_x':
            assert _same(getattr(model, name), getattr(stage1, name).state_dict()), name
    # Nothing else is loaded: the detector and the iteration start as without init_from.
    assert _same(model.detector, fresh.detector.state_dict())
    assert int(model.iteration) == 0
    log = model.train_step(batch, optim_wrapper)
    assert 'loss_det' in log and torch.isfinite(log['loss_g'])


def test_stage2_refuses_a_checkpoint_that_does_not_fit(demo_data, stage1_checkpoint):
    path, _ = stage1_checkpoint
    cfg = load_tiny_cfg(demo_data, **{'model.init_from': str(path),
                                      'model.disc_local_x.base_channels': 8})
    with pytest.raises(ValueError, match=r"^model.init_from: .*iter_2.pth does not fit this "
                       r"config's disc_local_x .*\(\d+ mismatch"):
        build_tiny(cfg)


def test_stage2_refuses_a_checkpoint_without_gan_modules(demo_data, stage1_checkpoint, tmp_path):
    path, stage1 = stage1_checkpoint
    detector_only = tmp_path / 'detector.pth'
    torch.save(dict(state_dict={k: v for k, v in stage1.state_dict().items()
                                if not k.startswith('generator_y.')}), detector_only)
    with pytest.raises(ValueError, match='has no generator_y'):
        build_tiny(load_tiny_cfg(demo_data, **{'model.init_from': str(detector_only)}))
    with pytest.raises(FileNotFoundError, match='model.init_from'):
        build_tiny(load_tiny_cfg(demo_data, **{'model.init_from': str(tmp_path / 'no.pth')}))


def _restart(demo_data, path):
    """A stage 2 built from ``path`` and the hook that restores its optimizer states."""
    from types import SimpleNamespace

    from mmdgan.engine.hooks import InitFromOptimizerHook
    model, optim_wrapper, batch = build_tiny(
        load_tiny_cfg(demo_data, **{'model.inserter_ema': dict(momentum=0.5),
                                    'model.disc_augment': dict(type='DiffAugment'),
                                    'model.init_from': str(path)}))
    runner = SimpleNamespace(model=model, optim_wrapper=optim_wrapper, iter=0)
    return InitFromOptimizerHook(), runner, batch


def test_init_from_restores_the_gan_optimizer_states(demo_data, stage1_checkpoint):
    path, _ = stage1_checkpoint
    saved = torch.load(path, weights_only=False)['optimizer']
    hook, runner, batch = _restart(demo_data, path)
    lrs = {n: [g['lr'] for g in w.optimizer.param_groups] for n, w in runner.optim_wrapper.items()}
    hook.before_train(runner)
    for name in ('generators', 'discriminators'):
        own = runner.optim_wrapper[name].optimizer.state_dict()
        assert own['state'].keys() == saved[name]['state'].keys() and own['state'], name
        for index, state in saved[name]['state'].items():
            for key, value in state.items():
                assert torch.equal(own['state'][index][key], value), (name, index, key)
    # The detector's optimizer starts fresh; every learning rate stays the config's.
    assert runner.optim_wrapper['detector'].optimizer.state_dict()['state'] == {}
    assert lrs == {n: [g['lr'] for g in w.optimizer.param_groups]
                   for n, w in runner.optim_wrapper.items()}
    log = runner.model.train_step(batch, runner.optim_wrapper)
    assert torch.isfinite(log['loss_g'])


def test_init_from_refuses_optimizer_states_that_do_not_fit(demo_data, stage1_checkpoint,
                                                            tmp_path):
    path, _ = stage1_checkpoint
    checkpoint = torch.load(path, weights_only=False)
    # The discriminators' state lacks a parameter: checked after the generators', which must
    # not be loaded either.
    checkpoint['optimizer']['discriminators']['param_groups'][0]['params'].pop()
    bad = tmp_path / 'iter_2.pth'
    torch.save(checkpoint, bad)
    hook, runner, _ = _restart(demo_data, bad)
    with pytest.raises(ValueError, match=r"^model.init_from: .*iter_2.pth optimizer state does "
                       r"not fit this config's discriminators optimizer: param group 0 has "
                       r"\d+ parameters.*\(\d+ mismatch\(es\)\)$"):
        hook.before_train(runner)
    assert all(w.optimizer.state_dict()['state'] == {} for w in runner.optim_wrapper.values())
