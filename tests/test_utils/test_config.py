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


def test_config_files_are_parsed_one_thread_at_a_time(monkeypatch, tmp_path):
    """CPython 3.11's ast.parse races across threads (python/cpython#106905): the
    cross-validation runner's local workers load configs side by side, so every
    parse goes through one lock."""
    import threading
    import time

    from mmengine.config import Config

    from mmdgan.utils import config as config_module

    cfg_file = tmp_path / 'tiny.py'
    cfg_file.write_text('value = 1\n')
    inside, most = [0], [0]
    counter = threading.Lock()
    real_fromfile = Config.fromfile

    def counting_fromfile(path, *args, **kwargs):
        with counter:
            inside[0] += 1
            most[0] = max(most[0], inside[0])
        time.sleep(0.02)  # long enough for the other threads to arrive
        try:
            return real_fromfile(path, *args, **kwargs)
        finally:
            with counter:
                inside[0] -= 1

    monkeypatch.setattr(Config, 'fromfile', staticmethod(counting_fromfile))
    loaded = []
    threads = [threading.Thread(target=lambda: loaded.append(
        config_module.load_config(str(cfg_file), resolve=False).value)) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert loaded == [1, 1, 1, 1]
    assert most[0] == 1
