"""The grouped settings of :class:`~mmdgan.models.DetectorGAN`, validated.

As mmagic's GANs take ``loss_config`` / ``ema_config`` and mmdet's detectors a
``train_cfg``, DetectorGAN takes its scalar settings in a few dicts:

- ``loss_weights``: the lambdas of the generator loss, the unrolled term's
  included. A zero weight skips its term: ``loss_weights.unroll=0`` is the one
  way to train without the unroll.
- ``unroll``: how the unrolled term is computed (mode, virtual step, finite
  difference radius).
- ``train_cfg``: the schedule (discriminator steps, detector warm-up and
  ramp-in), the detector's synthetic share and the discriminators' image pool.
- ``inserter_ema``: the moving average of G_X.

Each dict is checked here: an unknown key or a bad value is one line naming
the field (``model.train_cfg.pool_size ...``). :func:`upgrade_flat_cfg` maps
a model config of the earlier flat signature onto these dicts; the fingerprint
migration of committed results (``tools/experiments/migrate_fingerprints.py``)
uses it to prove that a config changed its schema and nothing else.
"""
import copy
from typing import Any, Dict, Optional

#: Default lambdas; ``unroll`` weighs ``L_det^real(theta')`` after the virtual step.
LOSS_WEIGHTS = dict(adv_global=1.0, adv_local=1.0, cycle=10.0, identity=5.0, det_syn=1.0,
                    unroll=1.0)
UNROLL_MODES = ('exact', 'finite_diff')
UNROLL = dict(mode='exact', inner_lr=0.01, fd_eps=0.01)
TRAIN_CFG = dict(disc_steps=1, det_warmup_iters=0, det_ramp_iters=0, syn_ratio=0.5,
                 pool_size=0)


def _known(name: str, cfg: dict, keys) -> None:
    unknown = sorted(set(cfg) - set(keys))
    if unknown:
        raise ValueError(f'model.{name}: unknown key(s) {unknown}; expected a subset of '
                         f'{list(keys)}')


def _checked_keys(name: str, cfg: Optional[dict], keys) -> dict:
    cfg = dict(cfg or {})
    _known(name, cfg, keys)
    return cfg


def _count(name: str, value: Any, low: int) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or int(value) != value \
            or value < low:
        raise ValueError(f'model.{name} must be an int >= {low}, got {value!r}')
    return int(value)


def check_loss_weights(cfg: Optional[dict]) -> Dict[str, float]:
    """The lambdas, defaults filled in (:data:`LOSS_WEIGHTS`)."""
    weights = {**LOSS_WEIGHTS, **_checked_keys('loss_weights', cfg, LOSS_WEIGHTS)}
    for name, value in weights.items():
        if isinstance(value, bool) or not (isinstance(value, (int, float)) and value >= 0):
            raise ValueError(f'model.loss_weights.{name} must be a number >= 0, got {value!r}')
    return {k: float(v) for k, v in weights.items()}


def check_unroll(cfg: Optional[dict]) -> dict:
    """How the unrolled term is computed, defaults filled in (:data:`UNROLL`)."""
    cfg = dict(cfg or {})
    if 'weight' in cfg:
        raise ValueError('model.unroll.weight: the unroll weight is model.loss_weights.unroll '
                         '(0: no unroll)')
    _known('unroll', cfg, UNROLL)
    cfg = {**UNROLL, **cfg}
    if cfg['mode'] not in UNROLL_MODES:
        raise ValueError(f'model.unroll.mode must be one of {UNROLL_MODES}, got {cfg["mode"]!r}'
                         ' (no unroll: model.loss_weights.unroll=0)')
    for key in ('inner_lr', 'fd_eps'):
        if isinstance(cfg[key], bool) or not (isinstance(cfg[key], (int, float))
                                              and cfg[key] > 0):
            raise ValueError(f'model.unroll.{key} must be a number > 0, got {cfg[key]!r}')
    return cfg


def check_train_cfg(cfg: Optional[dict]) -> dict:
    """Schedule, synthetic share and pool, defaults filled in (:data:`TRAIN_CFG`)."""
    cfg = {**TRAIN_CFG, **_checked_keys('train_cfg', cfg, TRAIN_CFG)}
    out = dict(disc_steps=_count('train_cfg.disc_steps', cfg['disc_steps'], 1),
               det_warmup_iters=_count('train_cfg.det_warmup_iters', cfg['det_warmup_iters'], 0),
               det_ramp_iters=_count('train_cfg.det_ramp_iters', cfg['det_ramp_iters'], 0),
               pool_size=_count('train_cfg.pool_size', cfg['pool_size'], 0))
    ratio = cfg['syn_ratio']
    if isinstance(ratio, bool) or not (isinstance(ratio, (int, float)) and 0 <= ratio < 1):
        raise ValueError(f'model.train_cfg.syn_ratio must be in [0, 1), got {ratio!r}')
    return dict(out, syn_ratio=float(ratio))


def check_inserter_ema(cfg: Optional[dict]) -> Optional[Dict[str, float]]:
    """``None`` or ``dict(momentum, begin_iter)``."""
    if cfg is None:
        return None
    cfg = _checked_keys('inserter_ema', cfg, ('momentum', 'begin_iter'))
    if 'momentum' not in cfg:
        raise ValueError('model.inserter_ema.momentum is missing (inserter_ema: None or '
                         'dict(momentum, begin_iter=0))')
    momentum = cfg['momentum']
    if isinstance(momentum, bool) or not (isinstance(momentum, (int, float))
                                          and 0 < momentum <= 1):
        raise ValueError(f'model.inserter_ema.momentum must be in (0, 1], got {momentum!r}')
    return dict(momentum=float(momentum),
                begin_iter=_count('inserter_ema.begin_iter', cfg.get('begin_iter', 0), 0))


def upgrade_flat_cfg(model: dict) -> dict:
    """A DetectorGAN config of the flat signature (before issue 35) in the grouped one.

    ``disc_steps``, ``det_warmup_iters``, ``det_ramp_iters``, ``syn_ratio`` and
    ``pool_size`` move into ``train_cfg``; ``unroll.weight`` becomes
    ``loss_weights.unroll``; ``unroll.mode='none'`` becomes
    ``loss_weights.unroll=0`` with the default mode. Only the keys present move
    (no default is added), so the result equals the migrated config file's
    resolved content exactly when nothing but the schema changed.

    Raises:
        ValueError: The config sets ``unroll.inner_modules`` (removed: no
            config used it).
    """
    model = copy.deepcopy(model)
    train_cfg = {k: model.pop(k) for k in list(model) if k in TRAIN_CFG}
    if train_cfg:
        model['train_cfg'] = {**model.get('train_cfg', {}), **train_cfg}
    unroll = model.get('unroll')
    if unroll is None:
        return model
    if unroll.pop('inner_modules', None) is not None:
        raise ValueError('model.unroll.inner_modules was removed; a config that sets it has no '
                         'grouped equivalent')
    weight = unroll.pop('weight', None)
    if unroll.get('mode') == 'none':
        unroll['mode'] = UNROLL['mode']
        weight = 0.0
    if weight is not None:
        model['loss_weights'] = {**model.get('loss_weights', {}), 'unroll': weight}
    return model
