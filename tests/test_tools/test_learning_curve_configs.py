"""The headline learning-curve experiment configs (issue 32): what they plan."""
from pathlib import Path

import pytest
from mmengine.config import Config

from mmdgan.experiments import load_experiment
from tools.experiments.cross_validation import main as cv_main

REPO = Path(__file__).resolve().parents[2]


@pytest.mark.mini_mias  # its config reads the patients of ../shared/data/mini-mias
def test_mini_mias_learning_curve_config():
    """Six arms on the curve, no-unroll at 25 % only, repeated splits at 25 % only, one
    stage-1 GAN for both stage-2 arms, and stage-2 arms that differ in the unroll alone."""
    s, _ = load_experiment(str(REPO / 'configs/experiments/cv_mini-mias_learning-curve.py'))
    assert list(s.fractions) == [0.1, 0.25, 0.5, 1.0]
    assert 'dgan-nounroll' not in s.arms and 'dgan-nounroll' in s.lc_arms_by_fraction['0.25']
    assert list(s.extra_fold_fractions) == [0.25] and len(s.extra_fold_seeds) == 5
    assert s.gan_init_from == {'dgan': 'gan-stage1', 'dgan-nounroll': 'gan-stage1'}
    assert {'real-steps', 'copy-paste', 'gan-stage1'} <= set(s.lc_control_arms)
    assert s.gan_options['custom_hooks'] == [] and s.quality_images == 0  # nothing unpriced
    models = {a: Config.fromfile(str(REPO / c)).model for a, c in s.gan_configs.items()}
    assert models['gan-stage1'].detector is None
    stage2, nounroll = models['dgan'].to_dict(), models['dgan-nounroll'].to_dict()
    differ = {k for k in {*stage2, *nounroll} if stage2.get(k) != nounroll.get(k)}
    assert differ and differ <= {'unroll', 'loss_weights'}


def test_demo_learning_curve_plan(demo_data, tmp_path):
    """The demo variant plans the headline's shape: the second split at 50 % only, a
    stage-1 GAN per fold, fraction and split, each started stage-2 GAN after it."""
    out = cv_main([str(REPO / 'configs/experiments/cv_demo-learning-curve.py'), '--dry-run',
                   '--cfg-options', f'data_root={demo_data}/', f'work_dir={tmp_path}/work',
                   f'results_dir={tmp_path}/results'])
    names = out['units']
    assert {n for n in names if n.endswith('_folds1')} == {
        f'{arm}_fold{k}_seed0_frac0.5_folds1' for k in (0, 1)
        for arm in ('real', 'dgan', 'real-steps', 'copy-paste', 'gan-stage1')}
    # 2 folds x (2 fractions + 1 repeated) x (stage 1 + stage 2).
    assert out['plan']['gan_units'] == 2 * 3 * 2
    assert 0 < out['plan']['core_hours'] < 1
