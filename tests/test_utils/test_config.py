import pytest

from mmdgan.utils import load_config


def test_load_config_merges_overrides(tmp_path):
    path = tmp_path / 'cfg.py'
    path.write_text("model = dict(type='Toy', width=8)\ntrain_cfg = dict(max_iters=10)\n")
    cfg = load_config(str(path), {'train_cfg.max_iters': 3, 'model.width': 16})
    assert cfg.train_cfg.max_iters == 3
    assert cfg.model == dict(type='Toy', width=16)
    assert load_config(str(path)).train_cfg.max_iters == 10


def test_load_config_names_missing_file(tmp_path):
    missing = tmp_path / 'absent.py'
    with pytest.raises(FileNotFoundError, match='config file not found: .*absent.py'):
        load_config(str(missing))
