"""Baseline sweep: candidates checked, units refused under other settings, table per candidate."""
import json

import pytest

from mmdgan.tuning import DEFAULT_CANDIDATES, Candidate, SweepSettings, report_sweep
from mmdgan.tuning.baseline_sweep import METRICS, BaselineSweep
from tests.test_datasets.test_folds import write_patient_folder


def _unit(name: str, seed: int, ap50: float, passes: float = 30) -> dict:
    metrics = {m: 0.5 for m in METRICS}
    metrics['AP50'] = ap50
    return dict(candidate=dict(name=name, config=f'configs/detector/{name}.py', passes=passes,
                               note=''),
                seed=seed, iters=int(passes * 10), metrics=metrics, seconds=120.0)


def test_settings_refuse_bad_candidates(tmp_path):
    ref = DEFAULT_CANDIDATES[0]
    with pytest.raises(ValueError, match='unique'):
        SweepSettings('data', str(tmp_path), str(tmp_path), candidates=[ref, ref])
    with pytest.raises(FileNotFoundError, match='config not found: nowhere.py'):
        SweepSettings('data', str(tmp_path), str(tmp_path),
                      candidates=[Candidate('x', 'nowhere.py', 30)])
    with pytest.raises(ValueError, match='passes must be > 0'):
        SweepSettings('data', str(tmp_path), str(tmp_path),
                      candidates=[Candidate('x', ref.config, 0)])


def test_unit_of_other_settings_is_refused(tmp_path):
    settings = SweepSettings('data', str(tmp_path), str(tmp_path / 'work'),
                             candidates=DEFAULT_CANDIDATES[:1], seeds=[0])
    sweep = BaselineSweep(settings, log=lambda _: None)
    sweep.split = dict(record=dict(counts=dict(train_labelled=66, val_labelled=21,
                                               val_normal=42)))
    ref = DEFAULT_CANDIDATES[0]
    assert sweep.load_unit(ref, 0) is None
    assert sweep.iters(ref) == 495  # 30 passes over 66 films at batch 4, rounded up
    path = sweep.unit_file(ref, 0)
    path.parent.mkdir(parents=True)
    path.write_text(json.dumps(dict(fingerprint=sweep.fingerprint(ref, 0), seed=0)))
    assert sweep.load_unit(ref, 0)['seed'] == 0
    path.write_text(json.dumps(dict(fingerprint=sweep.fingerprint(ref, 1))))
    with pytest.raises(ValueError, match='other settings'):
        sweep.load_unit(ref, 0)


def test_report_lists_every_candidate_with_its_seeds(tmp_path):
    units = tmp_path / 'units'
    units.mkdir()
    for name, seed, ap in (('aug', 0, 0.2), ('aug', 1, 0.1), ('reference', 0, 0.05),
                           ('custom', 0, 0.3)):
        (units / f'{name}_seed{seed}.json').write_text(json.dumps(_unit(name, seed, ap)))
    out = report_sweep(str(tmp_path), 'python tools/experiments/tune_baseline.py')
    assert list(out['candidates']) == ['reference', 'aug', 'custom']  # priority order first
    assert out['candidates']['aug']['AP50'] == [0.2, 0.1]
    assert out['process_hours'] == pytest.approx(4 * 120 / 3600)
    table = (tmp_path / 'table.md').read_text()
    assert '0.200 (s0), 0.100 (s1) | 0.150 ± 0.071' in table
    assert '| reference |' in table and 'tune_baseline.py' in table


def test_dry_run_plans_without_touching_the_report(tmp_path):
    data = tmp_path / 'data'
    data.mkdir()
    write_patient_folder(data, 40, 16, 10)
    results = tmp_path / 'results'
    settings = SweepSettings(str(data), str(results), str(tmp_path / 'work'),
                             candidates=DEFAULT_CANDIDATES[:2], seeds=[0, 1], folds=4)
    out = BaselineSweep(settings, log=lambda _: None).run(dry_run=True)
    assert list(out['plan']) == ['reference_seed0', 'aug_seed0', 'reference_seed1',
                                 'aug_seed1']  # seed-major
    split = json.loads((results / 'split.json').read_text())
    assert split['counts']['train_labelled'] > 0 and split['outer_fold'] == 0
    assert not (results / 'table.md').exists() and not (results / 'units').exists()
