"""The fingerprint migration carries committed units over a schema change, and only that."""
import json
from pathlib import Path

import pytest
from mmengine.config import Config

from mmdgan.experiments.store import digest
from tools.experiments.migrate_fingerprints import migrate_units

#: One GAN config in the flat signature (before issue 35) and in the grouped one.
OLD = """model = dict(type='DetectorGAN', pool_size=50, syn_ratio=0.0,
             loss_weights=dict(det_syn=0.1), unroll=dict(mode='none', inner_lr=0.01, weight=1.0))
train_cfg = dict(max_iters=300)
"""
NEW = """model = dict(type='DetectorGAN', train_cfg=dict(pool_size=50, syn_ratio=0.0),
             loss_weights=dict(det_syn=0.1, unroll=0.0), unroll=dict(mode='exact', inner_lr=0.01))
train_cfg = dict(max_iters=300)
"""
CONFIG = 'configs/gan.py'


def _tree(root: Path, text: str) -> Path:
    (root / 'configs').mkdir(parents=True)
    (root / CONFIG).write_text(text)
    return root


def _loader(root: Path):
    return lambda config: Config.fromfile(str(root / config)).to_dict()


@pytest.fixture
def trees(tmp_path):
    return _loader(_tree(tmp_path / 'old', OLD)), _loader(_tree(tmp_path / 'new', NEW))


def _units(tmp_path: Path, stored: str) -> Path:
    """A det unit whose source GAN starts from a stage-1 GAN of the same config, and
    the GAN unit itself: the digest sits at two depths."""
    gan = dict(arm='dgan', config=CONFIG, config_digest=stored, gan_iters=300)
    det = dict(arm='dgan', seed=0, source=dict(gan, init_from=dict(gan, arm='gan-stage1')))
    results = tmp_path / 'results'
    for kind, fingerprint in (('gan', gan), ('det', det)):
        (results / 'units' / kind).mkdir(parents=True)
        (results / 'units' / kind / 'u.json').write_text(
            json.dumps(dict(fingerprint=fingerprint, AP50=0.5)))
    return results


def test_digests_move_to_the_new_schema_and_the_old_ones_stay_on_record(tmp_path, trees):
    old, new = trees
    results = _units(tmp_path, digest(old(CONFIG)))
    assert len(migrate_units(results, old, new, rev='abc', dry_run=True)) == 2
    assert json.loads((results / 'units/gan/u.json').read_text())['fingerprint'][
        'config_digest'] == digest(old(CONFIG))  # a dry run writes nothing
    assert len(migrate_units(results, old, new, rev='abc')) == 2
    det = json.loads((results / 'units/det/u.json').read_text())
    source = det['fingerprint']['source']
    assert source['config_digest'] == source['init_from']['config_digest'] == digest(new(CONFIG))
    assert det['fingerprint_migrations'] == [
        {'config': CONFIG, 'from': digest(old(CONFIG)), 'to': digest(new(CONFIG)), 'rev': 'abc'}]
    assert det['AP50'] == 0.5
    # Migrated units are the current settings: a second run changes nothing.
    assert migrate_units(results, old, new, rev='abc') == []


def test_a_config_that_changed_beyond_the_schema_is_refused(tmp_path, trees):
    old, _ = trees
    new = _loader(_tree(tmp_path / 'changed', NEW.replace('det_syn=0.1', 'det_syn=0.2')))
    results = _units(tmp_path, digest(old(CONFIG)))
    with pytest.raises(ValueError, match=r"units/det/u\.json: configs/gan\.py: the current "
                       r"config differs from the old one beyond the schema, in \['model'\]"):
        migrate_units(results, old, new, rev='abc')
    assert 'fingerprint_migrations' not in (results / 'units/gan/u.json').read_text()


def test_a_digest_of_other_settings_is_refused(tmp_path, trees):
    old, new = trees
    results = _units(tmp_path, '0123456789abcdef')
    with pytest.raises(ValueError, match='stored digest 0123456789abcdef is neither the '
                       'current config'):
        migrate_units(results, old, new, rev='abc')


def test_an_empty_results_folder_is_refused(tmp_path, trees):
    with pytest.raises(ValueError, match='holds no unit file'):
        migrate_units(tmp_path, *trees, rev='abc')


def test_committed_units_match_todays_configs():
    """Every GAN config digest in the committed unit files is today's config's: a config
    edit that would make a resumed run or ``--report-only`` refuse them fails here first
    (a schema-only change is carried over by ``migrate_fingerprints.py``)."""
    from mmdgan.utils.tool_runner import REPO_ROOT, load_cfg
    from tools.experiments.migrate_fingerprints import config_nodes

    stored = {}
    for path in sorted((REPO_ROOT / 'results').glob('*/units/*/*.json')):
        for node in config_nodes(json.loads(path.read_text()).get('fingerprint') or {}):
            stored.setdefault((node['config'], node['config_digest']), path)
    assert stored, 'no committed unit names a GAN config'
    for (config, value), path in stored.items():
        assert digest(load_cfg(config).to_dict()) == value, \
            f'{path.relative_to(REPO_ROOT)}: {config} is no longer the config it was made with'
