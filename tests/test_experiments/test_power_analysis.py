"""The power calculation of a comparison, from its units (synthetic units, known spread)."""
import json

import numpy as np
import pytest

from mmdgan.evaluation.paired_stats import folds_needed, pairs_needed, variance_components
from mmdgan.experiments.statistics import power_analysis
from tools.experiments.power_analysis import main as power_main

SETTINGS = dict(folds=3, extra_fold_seeds=[], syn_per_real=1.0, fractions=[0.25, 1.0])
#: Fold effects and seed offsets of DetectorGAN over the steps-matched control at 25 %.
EFFECTS, OFFSETS = [0.02, -0.01, 0.03], [-0.005, 0.0, 0.005]


def _unit(arm, fold, seed, ap50, fraction=0.25):
    ratio = 0.0 if arm in ('real', 'real-steps') else 1.0
    return dict(unit=dict(fold=fold, arm=arm, seed=seed, fraction=fraction, ratio=ratio,
                          gan_seed=0),
                metrics=dict(AP50=ap50, mAP=ap50 / 2, loc_top1=3 * ap50))


def _units():
    units = []
    for fold, effect in enumerate(EFFECTS):
        for seed, offset in enumerate(OFFSETS):
            base = 0.04 + 0.01 * fold
            units += [_unit('real-steps', fold, seed, base),
                      _unit('dgan', fold, seed, base + effect + offset),
                      _unit('dgan', fold, seed, 0.5, fraction=1.0)]  # other fraction: ignored
    return units


def test_power_analysis_of_the_measured_spread():
    r = power_analysis(_units(), SETTINGS, 'dgan', 'real-steps', 0.25, 'AP50', gain=0.2,
                       seeds=(1, 3))
    diffs = [e + o for e in EFFECTS for o in OFFSETS]
    folds = [k for k in range(3) for _ in OFFSETS]
    assert r['pairs'] == 9 and r['groups'] == 3
    assert r['mean_diff'] == pytest.approx(np.mean(diffs))
    assert r['std'] == pytest.approx(np.std(diffs, ddof=1))
    assert r['reference_mean'] == pytest.approx(0.05) and r['effect'] == pytest.approx(0.01)
    parts = variance_components(diffs, folds)
    assert r['between'] == pytest.approx(parts['between'])
    assert r['within'] == pytest.approx(parts['within'])
    assert r['pairs_needed'] == pairs_needed(r['std'], 0.01)
    assert r['folds_needed'] == {s: folds_needed(parts['between'], parts['within'], s, 0.01)
                                 for s in (1, 3)}
    # The fold reading is the stricter one: fewer degrees of freedom, the fold effect kept.
    assert r['detectable_folds'] > r['detectable_pairs'] > 0
    # Every metric: top-1 localisation is 3 x AP50 here, so its relative answer is the same.
    loc = power_analysis(_units(), SETTINGS, 'dgan', 'real-steps', 0.25, 'loc_top1', 0.2, (1, 3))
    assert loc['std'] == pytest.approx(3 * r['std'])
    assert loc['pairs_needed'] == r['pairs_needed']
    with pytest.raises(ValueError, match='share < 2 pairs at fraction 0.5'):
        power_analysis(_units(), SETTINGS, 'dgan', 'real-steps', 0.5, 'AP50')


def test_power_analysis_tool(tmp_path, capsys):
    for unit in _units():
        k = unit['unit']
        path = tmp_path / 'units' / 'det' / f'{k["arm"]}_fold{k["fold"]}_seed{k["seed"]}_' \
                                            f'frac{k["fraction"]:g}.json'
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(unit))
    with pytest.raises(SystemExit, match='results.json not found'):
        power_main([str(tmp_path)])
    (tmp_path / 'results.json').write_text(json.dumps(dict(settings=SETTINGS)))
    rows = power_main([str(tmp_path), '--metrics', 'AP50', '--gain', '0.2', '0.5',
                       '--out', str(tmp_path / 'power.json')])
    assert [r['gain'] for r in rows] == [0.2, 0.5]
    assert rows[0]['pairs_needed'] > rows[1]['pairs_needed']
    assert json.loads((tmp_path / 'power.json').read_text())[0]['pairs'] == 9
    assert '| AP50 | 0.0500 | ' in capsys.readouterr().out
