"""One fixed-seed DetectorGAN step of the shipped demo and mini-MIAS configs, pinned.

The reference numbers below were computed by this very code at the commit that
added it (before the data generalisation of issue 33: channels and classes
read from the data, class-conditional inserters). Opt-in features (several
classes, colour, stage-1 training, augmentation) must leave the one-channel,
one-class configs exactly where they were: every loss term and how far each
optimizer group's weights moved in one step.

Regenerate (only for a change that is meant to alter these configs' training)::

    python -m tests.test_engine.test_reference_step
"""
import copy
import math
import random
from pathlib import Path
from typing import Dict

import numpy as np
import pytest
import torch
from mmengine.config import Config

from tests.test_engine.tiny_cfg import build_tiny

REPO = Path(__file__).resolve().parents[2]
#: The shipped configs whose behaviour is pinned (the demo smoke config and the
#: mini-MIAS local-crop arm), run on the 96 px test demo data resized to 64 px.
CONFIGS = {
    'demo': 'configs/dgan_retinanet-effnet-lite0_1xb2-20it_demo.py',
    'mini-mias': 'configs/dgan_retinanet-effnet-lite0_local-crop_1xb4-2k_mini-mias.py',
}
SIZE = (64, 64)
SEED = 0

#: Computed at the commit that added this test (see the module docstring).
REFERENCE: Dict[str, Dict[str, float]] = {
    'demo': {
        'delta_detector': 0.020129154313716178,
        'delta_discriminators': 0.1250533381229022,
        'delta_generators': 0.16573236640028965,
        'loss_d_global_x': 2.0405235290527344,
        'loss_d_global_y': 1.4083309173583984,
        'loss_d_local_x': 0.6075985431671143,
        'loss_det': 3.857786178588867,
        'loss_det_syn': 3.7622733116149902,
        'loss_g': 15.893073081970215,
        'loss_g_adv_global_x': 3.320047616958618,
        'loss_g_adv_global_y': 2.961789131164551,
        'loss_g_adv_local_x': 1.2720284461975098,
        'loss_g_cycle_x': 0.33601614832878113,
        'loss_g_cycle_y': 0.19824452698230743,
        'loss_g_identity_x': 0.05945443734526634,
        'loss_g_identity_y': 0.03918834775686264,
        'loss_unroll': 3.9440319538116455,
    },
    'mini-mias': {
        'delta_detector': 0.006055023221355753,
        'delta_discriminators': 0.12505358029017632,
        'delta_generators': 0.007924642140143103,
        'loss_d_global_x': 1.9236557483673096,
        'loss_d_global_y': 1.0819129943847656,
        'loss_d_local_x': 0.5679028630256653,
        'loss_det': 3.965237617492676,
        'loss_det_syn': 0.29867658019065857,
        'loss_g': 8.193488121032715,
        'loss_g_adv_global_x': 3.3043787479400635,
        'loss_g_adv_global_y': 3.3353426456451416,
        'loss_g_adv_local_x': 0.8610219955444336,
        'loss_g_cycle_x': 0.0,
        'loss_g_cycle_y': 0.0,
        'loss_g_identity_x': 0.0,
        'loss_g_identity_y': 0.0,
        'loss_unroll': 0.3940679728984833,
    },
}

#: Float reductions may be ordered differently on another CPU or thread count.
RTOL = 1e-4


def _resized(pipeline: list) -> list:
    """``pipeline`` with every Resize at :data:`SIZE` and no random flip."""
    out = []
    for step in pipeline:
        step = copy.deepcopy(step)
        if step['type'] == 'mmdet.RandomFlip':
            continue
        if step['type'] == 'mmdet.Resize':
            step['scale'] = SIZE
        out.append(step)
    return out


def tiny_config(name: str, data_root: Path) -> Config:
    """The shipped config ``name`` on ``data_root`` at :data:`SIZE`, one process."""
    cfg = Config.fromfile(str(REPO / CONFIGS[name]))
    dataset = cfg.train_dataloader.dataset
    dataset.data_root = f'{data_root}/'
    dataset.clean_pipeline = _resized(dataset.clean_pipeline)
    dataset.labelled_pipeline = _resized(dataset.labelled_pipeline)
    cfg.train_dataloader.update(batch_size=2, num_workers=0, persistent_workers=False)
    # Warm-up would make the first step a detector-only one: pin every part.
    cfg.model.train_cfg.det_warmup_iters = 0
    return cfg


def reference_step(name: str, data_root: Path) -> Dict[str, float]:
    """Every loss of one training step and each group's weight change (L2)."""
    cfg = tiny_config(name, data_root)
    random.seed(SEED)
    np.random.seed(SEED)
    model, optim_wrapper, batch = build_tiny(cfg, seed=SEED)
    groups = dict(generators=('generator_x', 'generator_y'),
                  discriminators=('disc_global_x', 'disc_global_y', 'disc_local_x'),
                  detector=('detector', ))
    before = {k: v.detach().clone() for k, v in model.named_parameters()}
    model.train()
    log = model.train_step(batch, optim_wrapper)
    out = {k: float(v) for k, v in log.items()}
    for group, prefixes in groups.items():
        moved = sum(float((p.detach() - before[k]).double().pow(2).sum())
                    for k, p in model.named_parameters() if k.split('.')[0] in prefixes)
        out[f'delta_{group}'] = math.sqrt(moved)
    return out


@pytest.mark.parametrize('name', sorted(CONFIGS))
def test_reference_step_unchanged(name, demo_data):
    torch.set_num_threads(1)
    got = reference_step(name, demo_data)
    want = REFERENCE[name]
    assert sorted(got) == sorted(want), f'{name}: loss terms changed'
    for key, value in want.items():
        assert got[key] == pytest.approx(value, rel=RTOL, abs=1e-7), \
            f'{name}: {key} is {got[key]!r}, was {value!r}'
    # The step did train every part (a reference of zeros would pin nothing).
    assert all(want[f'delta_{g}'] > 0 for g in ('generators', 'discriminators', 'detector'))


if __name__ == '__main__':
    import tempfile

    from mmdgan.datasets.demo import make_demo_dataset
    from tests.conftest import DEMO_KWARGS
    torch.set_num_threads(1)
    with tempfile.TemporaryDirectory() as tmp:
        make_demo_dataset(Path(tmp) / 'demo', **DEMO_KWARGS)
        result = {name: reference_step(name, Path(tmp) / 'demo') for name in sorted(CONFIGS)}
    print('REFERENCE = {')
    for name, values in result.items():
        print(f'    {name!r}: {{')
        for key, value in sorted(values.items()):
            print(f'        {key!r}: {value!r},')
        print('    },')
    print('}')
