"""DetectorGAN: one train step per group, compositing, NaN guard, detector I/O."""
import copy
from pathlib import Path

import pytest
import torch
from mmdet.structures import DetDataSample

from mmdgan.models.detector_gan import OPTIM_GROUPS, DetectorGAN, sample_boxes  # noqa: E402
from tests.test_engine.tiny_cfg import build_tiny, load_tiny_cfg

GAN_TERMS = {
    'loss_g_adv_global_x', 'loss_g_adv_global_y', 'loss_g_adv_local_x', 'loss_g_cycle_x',
    'loss_g_cycle_y', 'loss_g_identity_x', 'loss_g_identity_y', 'loss_det_syn', 'loss_g',
    'loss_d_global_x', 'loss_d_global_y', 'loss_d_local_x', 'loss_det'
}


@pytest.fixture(scope='module')
def cfg(demo_data):
    return load_tiny_cfg(demo_data)


def _params(model):
    return {n: p.detach().clone() for n, p in model.named_parameters()}


def _with_unroll(cfg, mode):
    """``cfg`` with the unroll computed by ``mode``; ``'none'``: its weight at 0, the one
    no-unroll switch."""
    cfg = copy.deepcopy(cfg)
    if mode == 'none':
        cfg.model.loss_weights.unroll = 0.0
    else:
        cfg.model.unroll.mode = mode
    return cfg


def _changed(module_name, model, before):
    return any(not torch.equal(p, before[f'{module_name}.{n}'])
               for n, p in getattr(model, module_name).named_parameters())


@pytest.mark.parametrize('mode', ['exact', 'finite_diff', 'none'])
def test_train_step_updates_every_group_and_logs_every_term(cfg, mode):
    cfg = _with_unroll(cfg, mode)
    model, optim_wrapper, batch = build_tiny(cfg)
    before = _params(model)
    log = model.train_step(batch, optim_wrapper)
    for group, names in OPTIM_GROUPS.items():
        for name in names:
            assert _changed(name, model, before), f'{group}: {name} did not change'
    expected = GAN_TERMS | ({'loss_unroll'} if mode != 'none' else set())
    assert set(log) == expected
    for name, value in log.items():
        assert torch.isfinite(value), name
    assert int(model.iteration) == 1


def test_generator_step_never_moves_the_detector(cfg):
    """Only the generator group steps: the detector (through which L_syn and
    the unroll reach G_X) and the discriminators keep their weights and get no
    gradient."""
    model, optim_wrapper, batch = build_tiny(cfg)
    before = _params(model)
    data = model.data_preprocessor(batch, True)
    _, total, _ = model.generator_losses(data['clean'], data['labelled'])
    optim_wrapper['generators'].update_params(total)
    assert _changed('generator_x', model, before)
    for name in ('detector', *OPTIM_GROUPS['discriminators']):
        assert not _changed(name, model, before), name
        assert all(p.grad is None or not p.grad.any()
                   for p in getattr(model, name).parameters()), name


def test_hard_composite_keeps_outside_and_trained_inserter_edits_inside(cfg):
    cfg = copy.deepcopy(cfg)
    cfg.optim_wrapper.generators.optimizer.lr = 1e-3
    model, optim_wrapper, batch = build_tiny(cfg)
    assert model.generator_x.composite == 'hard'
    for _ in range(3):
        model.train_step(copy.deepcopy(batch), optim_wrapper)
    images = model.sample_images(copy.deepcopy(batch))
    clean, mask, inserted = images['clean'], images['mask'], images['inserted']
    outside = (mask == 0).expand_as(clean)
    assert torch.equal(inserted[outside], clean[outside])
    inside = ~outside
    assert inside.any()
    assert (inserted[inside] - clean[inside]).abs().mean() > 0.05


def _inject_nan(model, method, term):
    original = getattr(model, method)

    def patched(*args, **kwargs):
        out = original(*args, **kwargs)
        terms = out[0] if isinstance(out, tuple) else out
        terms[term] = terms[term] * float('nan')
        return out

    setattr(model, method, patched)


def _poison_detector_batch(model):
    original = model.detector_batch

    def patched(*args, **kwargs):
        inputs, samples = original(*args, **kwargs)
        return inputs * float('nan'), samples

    model.detector_batch = patched


@pytest.mark.parametrize('term', ['loss_g_cycle_x', 'loss_d_global_y', 'loss_det'])
def test_nan_term_raises_by_name_before_any_step(cfg, term):
    model, optim_wrapper, batch = build_tiny(cfg)
    if term == 'loss_det':
        _poison_detector_batch(model)
    else:
        method = 'generator_losses' if term.startswith('loss_g') else 'discriminator_losses'
        _inject_nan(model, method, term)
    before = _params(model)
    with pytest.raises(FloatingPointError, match=term):
        model.train_step(batch, optim_wrapper)
    after = _params(model)
    assert all(torch.equal(before[n], after[n]) for n in before)
    for group in OPTIM_GROUPS:
        assert not optim_wrapper[group].optimizer.state, f'{group} optimizer stepped'
    assert int(model.iteration) == 0


def test_detector_warmup_trains_the_detector_alone(cfg):
    cfg = copy.deepcopy(cfg)
    cfg.model.train_cfg.det_warmup_iters = 1
    model, optim_wrapper, batch = build_tiny(cfg)
    before = _params(model)
    log = model.train_step(copy.deepcopy(batch), optim_wrapper)
    assert set(log) == {'loss_det'}
    assert _changed('detector', model, before)
    assert not _changed('generator_x', model, before)
    log = model.train_step(copy.deepcopy(batch), optim_wrapper)
    assert 'loss_unroll' in log and _changed('generator_x', model, before)


def test_gan_to_detector_matches_mmdet_preprocessing_and_is_differentiable(cfg):
    model, _, _ = build_tiny(cfg)
    img = torch.randint(0, 256, (1, 64, 96), dtype=torch.uint8)
    ref = model.det.data_preprocessor(
        dict(inputs=[img.expand(3, -1, -1)], data_samples=[DetDataSample()]), False)['inputs']
    gan = (img.float() / 127.5 - 1).unsqueeze(0).requires_grad_(True)
    out = model.gan_to_detector(gan)
    assert out.shape == (1, 3, 64, 96)
    torch.testing.assert_close(out, ref[..., :64, :96], rtol=1e-5, atol=1e-4)
    out.sum().backward()
    assert gan.grad is not None and gan.grad.abs().min() > 0


def test_detector_batch_mixes_real_and_detached_synthetic(cfg):
    model, _, batch = build_tiny(cfg)
    data = model.data_preprocessor(batch, True)
    fake = (data['clean']['inputs'] * 0.5).requires_grad_(True)
    inputs, samples = model.detector_batch(data['clean'], data['labelled'], fake)
    num_real = len(data['labelled']['inputs'])
    assert inputs.shape[0] == num_real + model._syn_count(num_real, len(fake))
    assert not inputs.requires_grad
    assert all(s.batch_input_shape == tuple(inputs.shape[-2:]) for s in samples)


def test_val_step_predicts_on_standard_mmdet_batches(cfg):
    from mmengine.runner import Runner
    model, _, _ = build_tiny(cfg)
    model.eval()
    batch = next(iter(Runner.build_dataloader(copy.deepcopy(cfg.val_dataloader))))
    preds = model.val_step(batch)
    assert len(preds) == len(batch['inputs'])
    for pred, sample in zip(preds, batch['data_samples']):
        assert pred.pred_instances.bboxes.shape[-1] == 4
        assert pred.ori_shape == sample.ori_shape


@pytest.mark.parametrize('kwargs, message', [
    (dict(loss_weights=dict(adv=1.0)), r"^model\.loss_weights: unknown key\(s\) \['adv'\]"),
    (dict(loss_weights=dict(cycle=-1.0)), r'^model\.loss_weights\.cycle must be a number >= 0'),
    (dict(loss_weights=dict(unroll='1')), r'^model\.loss_weights\.unroll must be a number'),
    (dict(unroll=dict(mode='second_order')), r'^model\.unroll\.mode must be one of'),
    (dict(unroll=dict(inner_lr=0)), r'^model\.unroll\.inner_lr must be a number > 0'),
    (dict(unroll=dict(inner_modules=['neck'])),
     r"^model\.unroll: unknown key\(s\) \['inner_modules'\]"),
    (dict(train_cfg=dict(syn_ratio=1.0)), r'^model\.train_cfg\.syn_ratio must be in \[0, 1\)'),
    (dict(train_cfg=dict(disc_steps=0)), r'^model\.train_cfg\.disc_steps must be an int >= 1'),
    (dict(train_cfg=dict(pool_size=2.5)), r'^model\.train_cfg\.pool_size must be an int >= 0'),
    (dict(train_cfg=dict(det_warmup_iters=-1)), r'^model\.train_cfg\.det_warmup_iters'),
    (dict(train_cfg=dict(det_ramp_iters=True)), r'^model\.train_cfg\.det_ramp_iters'),
    (dict(train_cfg=dict(pool=50)), r"^model\.train_cfg: unknown key\(s\) \['pool'\]"),
])
def test_bad_settings_are_rejected_by_name(cfg, kwargs, message):
    """Each grouped dict refuses an unknown key or a bad value in one line naming it."""
    model_cfg = copy.deepcopy(cfg.model)
    model_cfg.pop('type')
    model_cfg.update(kwargs)
    with pytest.raises(ValueError, match=message) as err:
        DetectorGAN(**model_cfg)
    assert '\n' not in str(err.value)


@pytest.mark.parametrize('old', [dict(unroll=dict(mode='none')), dict(unroll=dict(weight=0.0))])
def test_the_old_no_unroll_switches_point_at_the_one_left(cfg, old):
    """``unroll.mode='none'`` and ``unroll.weight`` are gone: the error names
    ``loss_weights.unroll``, the one way to turn the unroll off."""
    model_cfg = copy.deepcopy(cfg.model)
    model_cfg.pop('type')
    model_cfg.update(old)
    with pytest.raises(ValueError, match=r'model\.loss_weights\.unroll'):
        DetectorGAN(**model_cfg)


@pytest.mark.parametrize('flat', ['disc_steps', 'pool_size', 'syn_ratio', 'det_warmup_iters',
                                  'det_ramp_iters'])
def test_flat_settings_of_the_old_signature_are_refused(cfg, flat):
    model_cfg = copy.deepcopy(cfg.model)
    model_cfg.pop('type')
    with pytest.raises(TypeError, match=flat):
        DetectorGAN(**model_cfg, **{flat: 1})


def test_unroll_weight_zero_is_the_one_no_unroll_path(cfg):
    """``loss_weights.unroll=0``: no unroll call, no twice-differentiable detector,
    and ``L_det^syn`` is still the detector's loss, with the input gradient a direct
    backward through the detector gives."""
    from mmdgan.models.unroll import functional_loss
    model, _, batch = build_tiny(_with_unroll(cfg, 'none'))
    assert not model.unroll_active
    assert not any(type(m).__name__.startswith('Pure') for m in model.detector.modules())
    data = model.data_preprocessor(batch, True)
    clean = data['clean']
    fake = model._run_generator(model.generator_x, clean['inputs'], clean['masks'],
                                clean['data_samples'])
    syn, samples = model.to_detector_batch([fake], clean['data_samples'])
    syn = syn.detach().requires_grad_(True)
    result = model.detector_terms(syn, samples, data['labelled'])
    assert result.loss is None and result.surrogate is None
    (ours, ) = torch.autograd.grad(result.syn_surrogate, syn)
    direct = functional_loss(model.det, syn, samples)
    (theirs, ) = torch.autograd.grad(direct, syn)
    assert float(result.syn_loss) == float(direct)
    torch.testing.assert_close(ours, theirs)
    assert ours.abs().sum() > 0
    # The same term when the unroll is on comes from the unroll's own forward.
    on, _, _ = build_tiny(_with_unroll(cfg, 'exact'))
    on.load_state_dict(model.state_dict())
    with_unroll = on.detector_terms(syn, samples, data['labelled'])
    assert with_unroll.loss is not None
    assert float(with_unroll.syn_loss) == pytest.approx(float(result.syn_loss), rel=1e-5)


def test_disc_steps_update_the_discriminators_that_often(cfg):
    cfg = copy.deepcopy(cfg)
    cfg.model.train_cfg.disc_steps = 2
    model, optim_wrapper, batch = build_tiny(cfg)
    model.train_step(batch, optim_wrapper)

    def steps(group):
        return {int(s['step']) for s in optim_wrapper[group].optimizer.state.values()}

    assert steps('discriminators') == {2}
    assert steps('generators') == {1}


def test_target_label_must_match_the_inserted_boxes(cfg):
    cfg = copy.deepcopy(cfg)
    cfg.model.target_label = 1
    model, optim_wrapper, batch = build_tiny(cfg)
    with pytest.raises(ValueError, match='target_label'):
        model.train_step(batch, optim_wrapper)


@pytest.mark.parametrize('mode', ['exact', 'finite_diff'])
def test_unroll_term_alone_reaches_every_inserter_weight(cfg, mode):
    cfg = _with_unroll(cfg, mode)
    cfg.model.loss_weights = dict(adv_global=0.0, adv_local=0.0, cycle=0.0, identity=0.0,
                                  det_syn=0.0, unroll=1.0)
    model, _, batch = build_tiny(cfg)
    det_before = {k: v.clone() for k, v in model.detector.state_dict().items()}
    data = model.data_preprocessor(batch, True)
    terms, total, _ = model.generator_losses(data['clean'], data['labelled'])
    assert set(terms) == {'loss_unroll'}
    total.backward()
    for name, param in model.generator_x.named_parameters():
        assert param.grad is not None and torch.isfinite(param.grad).all(), name
        assert param.grad.abs().sum() > 0, name
    for key, value in model.detector.state_dict().items():
        assert torch.equal(value, det_before[key]), key
    assert all(p.requires_grad for p in model.detector.parameters())


@pytest.mark.parametrize('mode', ['exact', 'finite_diff'])
def test_faster_rcnn_in_the_loop(cfg, mode):
    """A two-stage detector (RoIAlign, proposal sampling, box structures)."""
    from mmengine.config import Config
    base = Config.fromfile(str(Path(__file__).resolve().parents[2] / 'configs' / '_base_' /
                               'models' / 'dgan_faster-rcnn-r18.py'))
    cfg = copy.deepcopy(cfg)
    cfg.model.detector = base.model.detector
    cfg.merge_from_dict({
        'model.unroll.mode': mode,
        'model.detector.backbone.base_channels': 8,
        'model.detector.neck.in_channels': [8, 16, 32, 64],
        'model.detector.neck.out_channels': 16,
        'model.detector.rpn_head.in_channels': 16,
        'model.detector.rpn_head.feat_channels': 16,
        'model.detector.roi_head.bbox_roi_extractor.out_channels': 16,
        'model.detector.roi_head.bbox_head.in_channels': 16,
        'model.detector.roi_head.bbox_head.fc_out_channels': 32,
    })
    model, optim_wrapper, batch = build_tiny(cfg)
    before = _params(model)
    log = model.train_step(batch, optim_wrapper)
    assert {'loss_det_syn', 'loss_unroll', 'loss_det'} <= set(log)
    assert all(torch.isfinite(v) for v in log.values())
    for name in ('generator_x', 'detector'):
        assert _changed(name, model, before), name


def test_local_crop_switch_is_checked(cfg):
    model_cfg = copy.deepcopy(cfg.model)
    model_cfg.pop('type')
    model_cfg.generator_x = dict(type='LocalCropInserter', generator=model_cfg.generator_x)
    with pytest.raises(ValueError, match='one or the other'):
        DetectorGAN(**model_cfg, local_crop=dict(crop_size=16))
    model_cfg.generator_x = model_cfg.generator_y
    with pytest.raises(ValueError, match='LocalCropInserter settings'):
        DetectorGAN(**model_cfg, local_crop=dict(type='LocalCropInserter'))


def test_default_gan_loss_builds_lsgan(cfg):
    model_cfg = copy.deepcopy(cfg.model)
    model_cfg.pop('type')
    model_cfg.pop('gan_loss', None)
    model = DetectorGAN(**model_cfg)
    assert model.gan_loss.gan_type == 'lsgan'


@pytest.mark.parametrize('mode', ['none', 'exact', 'finite_diff'])
def test_generator_step_leaves_every_detector_parameter_and_buffer_unchanged(cfg, mode):
    """L_det^syn (shared with the unroll or on its own) uses batch statistics
    but must not move BatchNorm running statistics of the real detector."""
    cfg = _with_unroll(cfg, mode)
    model, optim_wrapper, batch = build_tiny(cfg)
    bns = [m for m in model.detector.modules() if isinstance(m, torch.nn.BatchNorm2d)]
    assert bns and all(m.training and m.track_running_stats for m in bns)
    before = {k: v.clone() for k, v in model.detector.state_dict().items()}
    data = model.data_preprocessor(batch, True)
    terms, total, _ = model.generator_losses(data['clean'], data['labelled'])
    assert terms['loss_det_syn'] > 0
    optim_wrapper['generators'].update_params(total)
    for key, value in model.detector.state_dict().items():
        assert torch.equal(value, before[key]), key


def _local_crop_cfg(cfg, **model_options):
    cfg = copy.deepcopy(cfg)
    cfg.merge_from_dict(dict(model=dict(
        local_crop=dict(crop_size=16, context=2.0, min_window=8), **model_options)))
    return cfg


def test_local_crop_generation_trains_every_group_and_keeps_outside_pixels(cfg):
    cfg = _local_crop_cfg(cfg, disc_global_x=dict(downsample=2))
    model, optim_wrapper, batch = build_tiny(cfg)
    assert model.local_generation
    data = model.data_preprocessor(batch, True)
    clean = data['clean']
    boxes = sample_boxes(clean['data_samples'])
    assert sum(len(b) for b in boxes) > 0
    with torch.no_grad():
        fake_y = model.generator_x(clean['inputs'], clean['masks'], boxes)
        crops = model.local_crops(fake_y, clean['data_samples'])
    inside = torch.zeros_like(clean['masks'], dtype=torch.bool)
    for index, x0, y0, side, _ in model.generator_x.windows(boxes):
        inside[index, :, max(y0, 0):y0 + side, max(x0, 0):x0 + side] = True
    assert torch.equal(fake_y[~inside], clean['inputs'][~inside])
    assert not torch.equal(fake_y, clean['inputs'])
    # The local discriminator judges the generator's windows.
    assert crops.shape == (sum(len(b) for b in boxes), 1, 16, 16)
    torch.testing.assert_close(crops, model.generator_x.window_crops(fake_y, boxes))

    before = _params(model)
    log = model.train_step(batch, optim_wrapper)
    assert set(log) == GAN_TERMS | {'loss_unroll'}
    assert all(torch.isfinite(v) for v in log.values())
    for group, names in OPTIM_GROUPS.items():
        for name in names:
            assert _changed(name, model, before), f'{group}: {name} did not change'
    images = model.sample_images(batch)
    assert images['inserted'].shape == clean['inputs'].shape


def test_image_pool_feeds_the_discriminators_and_is_in_the_state_dict(cfg):
    cfg = copy.deepcopy(cfg)
    cfg.model.train_cfg.pool_size = 3
    model, optim_wrapper, batch = build_tiny(cfg)
    for _ in range(2):
        model.train_step(batch, optim_wrapper)
    state = model.state_dict()
    for name in OPTIM_GROUPS['discriminators']:
        stored = state[f'pools.{name}._extra_state']
        assert len(stored) == 3 and torch.isfinite(stored).all(), name
        assert int(state[f'pools.{name}.queries']) == 2, name
    assert state['pools.disc_local_x._extra_state'].shape[-1] == 16  # crops, not images
    # Without a pool the state dict keeps its old keys.
    cfg.model.train_cfg.pool_size = 0
    assert not any(k.startswith('pools.') for k in build_tiny(cfg)[0].state_dict())


def test_inserter_ema_averages_gx_and_is_what_inserts(cfg, tmp_path):
    cfg = copy.deepcopy(cfg)
    cfg.model.inserter_ema = dict(momentum=0.25, begin_iter=1)
    model, optim_wrapper, batch = build_tiny(cfg)
    gx, ema = model.generator_x, model.generator_x_ema
    # Starts at G_X (init_cfg drew it separately), frozen, outside every optimizer.
    for (name, p), q in zip(gx.named_parameters(), ema.parameters()):
        assert torch.equal(p, q) and not q.requires_grad, name
    grouped = {id(p) for w in optim_wrapper.values() for g in w.param_groups for p in g['params']}
    assert not any(id(p) in grouped for p in ema.parameters())
    # Before begin_iter the average copies G_X; after it, ema += 0.25 (w - ema).
    model.train_step(batch, optim_wrapper)
    assert all(torch.equal(p, q) for p, q in zip(gx.parameters(), ema.parameters()))
    previous = [q.detach().clone() for q in ema.parameters()]
    model.train_step(batch, optim_wrapper)
    moved = False
    for p, q, prev in zip(gx.parameters(), ema.parameters(), previous):
        torch.testing.assert_close(q, prev + 0.25 * (p - prev))
        moved |= not torch.equal(q, p)
    assert moved
    # The hooks' and synthesis' inserter is the average.
    assert model.inserter is ema
    model.eval()
    data = model.data_preprocessor(batch, False)['clean']
    expected = model._run_generator(ema, data['inputs'], data['masks'], data['data_samples'])
    assert torch.equal(model.insert_objects(batch)[0], expected)
    # Checkpoints carry it; load_generator and save_generator take it as G_X.
    from mmdgan.synthesis.inserter import load_generator, save_generator
    ckpt = tmp_path / 'iter_2.pth'
    torch.save(dict(state_dict=model.state_dict()), ckpt)
    loaded = load_generator(cfg, str(ckpt)).state_dict()
    assert all(torch.equal(v, ema.state_dict()[k]) for k, v in loaded.items())
    save_generator(str(ckpt), str(tmp_path / 'g.pth'))
    small = load_generator(cfg, str(tmp_path / 'g.pth')).state_dict()
    assert all(torch.equal(v, loaded[k]) for k, v in small.items())


def test_inserter_ema_leaves_the_training_run_unchanged(cfg):
    cfg = copy.deepcopy(cfg)
    runs = []
    for ema in (None, dict(momentum=0.1)):
        cfg.model.inserter_ema = ema
        model, optim_wrapper, batch = build_tiny(cfg)
        rng = torch.get_rng_state()
        model.train_step(batch, optim_wrapper)
        runs.append((rng, {k: v for k, v in model.state_dict().items()
                           if not k.startswith('generator_x_ema.')}))
    # Same random numbers left after building, same weights after a step.
    assert torch.equal(runs[0][0], runs[1][0])
    assert runs[0][1].keys() == runs[1][1].keys()
    for key, value in runs[0][1].items():
        assert torch.equal(value, runs[1][1][key]), key


def test_inserter_ema_resumes_exactly(cfg):
    cfg = copy.deepcopy(cfg)
    cfg.model.inserter_ema = dict(momentum=0.5)
    model, optim_wrapper, batch = build_tiny(cfg)
    model.train_step(batch, optim_wrapper)
    state = copy.deepcopy(model.state_dict())
    assert any(k.startswith('generator_x_ema.') for k in state)
    fresh = build_tiny(cfg, seed=1)[0]
    fresh.load_state_dict(state)
    assert all(torch.equal(v, state[k]) for k, v in fresh.state_dict().items())
    # Without it the state dict keeps its old keys and G_X inserts.
    cfg.model.inserter_ema = None
    plain = build_tiny(cfg)[0]
    assert plain.inserter is plain.generator_x
    assert not any(k.startswith('generator_x_ema.') for k in plain.state_dict())
