"""The grouped DetectorGAN settings: defaults, and the upgrade of a flat config."""
import pytest

from mmdgan.models.detector_gan_cfg import (
    LOSS_WEIGHTS,
    TRAIN_CFG,
    UNROLL,
    check_inserter_ema,
    check_loss_weights,
    check_train_cfg,
    check_unroll,
    upgrade_flat_cfg,
)


def test_missing_keys_take_the_defaults():
    assert check_loss_weights(None) == LOSS_WEIGHTS
    assert check_loss_weights(dict(unroll=0)) == dict(LOSS_WEIGHTS, unroll=0.0)
    assert check_unroll(dict(mode='finite_diff')) == dict(UNROLL, mode='finite_diff')
    assert check_train_cfg(dict(pool_size=50)) == dict(TRAIN_CFG, pool_size=50)
    assert check_inserter_ema(None) is None
    assert check_inserter_ema(dict(momentum=0.5)) == dict(momentum=0.5, begin_iter=0)


@pytest.mark.parametrize('setting, message', [
    (dict(momentum=0), r'^model\.inserter_ema\.momentum must be in \(0, 1\]'),
    (dict(momentum=1.5), r'^model\.inserter_ema\.momentum'),
    (dict(momentum=0.1, begin_iter=-1), r'^model\.inserter_ema\.begin_iter must be an int >= 0'),
    (dict(decay=0.9), r"^model\.inserter_ema: unknown key\(s\) \['decay'\]"),
    (dict(begin_iter=3), r'^model\.inserter_ema\.momentum is missing'),
])
def test_bad_inserter_ema_is_named(setting, message):
    with pytest.raises(ValueError, match=message):
        check_inserter_ema(setting)


def test_upgrade_moves_each_flat_setting_into_its_dict():
    flat = dict(type='DetectorGAN', disc_steps=2, det_warmup_iters=10, det_ramp_iters=5,
                syn_ratio=0.0, pool_size=50, loss_weights=dict(det_syn=0.1),
                unroll=dict(mode='exact', inner_lr=0.002, weight=0.5, fd_eps=0.01,
                            inner_modules=None), target_label=0)
    assert upgrade_flat_cfg(flat) == dict(
        type='DetectorGAN', target_label=0,
        train_cfg=dict(disc_steps=2, det_warmup_iters=10, det_ramp_iters=5, syn_ratio=0.0,
                       pool_size=50),
        loss_weights=dict(det_syn=0.1, unroll=0.5),
        unroll=dict(mode='exact', inner_lr=0.002, fd_eps=0.01))
    assert flat['pool_size'] == 50  # the input is left alone


@pytest.mark.parametrize('unroll', [dict(mode='none'), dict(mode='none', weight=0.0)])
def test_upgrade_turns_mode_none_into_weight_zero(unroll):
    grouped = upgrade_flat_cfg(dict(loss_weights=dict(det_syn=0.0), unroll=unroll))
    assert grouped == dict(loss_weights=dict(det_syn=0.0, unroll=0.0),
                           unroll=dict(mode=UNROLL['mode']))
    check_unroll(grouped['unroll'])
    assert check_loss_weights(grouped['loss_weights'])['unroll'] == 0


def test_upgrade_refuses_the_removed_inner_modules():
    with pytest.raises(ValueError, match=r'^model\.unroll\.inner_modules was removed'):
        upgrade_flat_cfg(dict(unroll=dict(inner_modules=['bbox_head'])))
