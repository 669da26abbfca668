"""The copy-paste arm's blending: chosen by the data's channels (or set), passed to the
copy-paste tool, and recorded in fingerprints and the report where it is not Poisson."""
import json
from types import SimpleNamespace

import pytest

from mmdgan.experiments import CVExperiment, Source, load_experiment
from mmdgan.utils.tool_runner import REPO_ROOT

#: The generic experiment config: it knows nothing of the folder it is given.
CONFIG = str(REPO_ROOT / 'configs/experiments/cv_custom-quick.py')


def _experiment(root, tmp_path, **options) -> CVExperiment:
    settings, _ = load_experiment(CONFIG, dict(data_root=str(root), seeds=[0],
                                               work_dir=str(tmp_path / 'work'),
                                               results_dir=str(tmp_path / 'results'),
                                               **options))
    experiment = CVExperiment(settings)
    experiment.plan.prepare_folds()
    return experiment


def _blend_command(experiment, monkeypatch) -> str:
    """The ``--blend`` the copy-paste synthesis of fold 0 is run with."""
    commands = []
    monkeypatch.setattr(experiment, '_run', lambda cmd, log, recorded: commands.append(cmd))
    experiment.synthesize(Source(0, 'copy-paste'), 4, [])
    (cmd, ) = commands
    assert cmd[cmd.index('--method') + 1] == 'copy-paste'
    return cmd[cmd.index('--blend') + 1]


@pytest.mark.parametrize('data, setting, expected', [
    ('demo_data', None, 'poisson'),  # one channel: Poisson, as every earlier unit ran
    ('colour_data', None, 'feather'),  # colour photographs: feather
    ('colour_data', 'poisson', 'poisson'),  # the setting wins over the data
    ('demo_data', 'feather', 'feather'),
])
def test_blend_by_data_or_setting(data, setting, expected, request, tmp_path, monkeypatch):
    experiment = _experiment(request.getfixturevalue(data), tmp_path,
                             copy_paste_blend=setting)
    assert experiment.plan.copy_paste_blend == expected
    assert _blend_command(experiment, monkeypatch) == expected
    store = experiment.store
    copy = store.source_fingerprint(Source(0, 'copy-paste'))
    gan = store.source_fingerprint(Source(0, 'dgan'))
    # Poisson leaves the fingerprint as it was before the setting existed, so committed
    # units stay valid; another blend is another source.
    assert copy.get('copy_paste_blend') == (None if expected == 'poisson' else expected)
    assert 'copy_paste_blend' not in gan
    settings = experiment.report('cmd', workers=1)['settings']
    assert settings.get('copy_paste_blend') == (None if expected == 'poisson' else expected)


def test_explicit_blend_changes_the_copy_paste_units_only(colour_data, tmp_path):
    by_data = _experiment(colour_data, tmp_path / 'a')
    poisson = _experiment(colour_data, tmp_path / 'b', copy_paste_blend='poisson')
    for arm in ('copy-paste', 'real', 'dgan'):
        units = [u for u in by_data.plan.units() if u.arm == arm]
        same = [by_data.store.unit_fingerprint(u) == poisson.store.unit_fingerprint(u)
                for u in units]
        assert units and (not any(same) if arm == 'copy-paste' else all(same))


def test_copy_paste_set_is_blended_as_planned(colour_data, tmp_path):
    settings, _ = load_experiment(CONFIG, dict(data_root=str(colour_data),
                                               work_dir=str(tmp_path / 'work'),
                                               results_dir=str(tmp_path / 'results')))
    experiment = CVExperiment(settings, in_process=True)
    experiment.plan.prepare_folds()
    out = experiment.synthesize(Source(0, 'copy-paste'), 3, [])
    info = json.loads((out / 'train.json').read_text())['info']
    assert info['method'] == 'copy-paste' and info['blend'] == 'feather'


def test_bad_blend_is_named(demo_data, tmp_path):
    with pytest.raises(ValueError, match="copy_paste_blend must be None .* got 'alpha'"):
        _experiment(demo_data, tmp_path, copy_paste_blend='alpha')


def test_dry_run_says_the_blend(colour_data, tmp_path):
    settings, _ = load_experiment(CONFIG, dict(data_root=str(colour_data),
                                               work_dir=str(tmp_path / 'work'),
                                               results_dir=str(tmp_path / 'results')))
    lines = []
    CVExperiment(settings, logger=SimpleNamespace(info=lines.append)).run(dry_run=True)
    assert 'copy-paste blend: feather' in lines
