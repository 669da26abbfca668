"""``tools/make_demo_data.py`` is a thin CLI over ``make_demo_dataset``."""
import importlib.util
import json
from pathlib import Path

TOOL = Path(__file__).resolve().parents[2] / 'tools' / 'make_demo_data.py'


def _load_tool():
    spec = importlib.util.spec_from_file_location('make_demo_data', TOOL)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_cli_writes_dataset(tmp_path, capsys):
    _load_tool().main(['--out', str(tmp_path), '--seed', '1', '--num-clean', '4',
                       '--num-labelled', '2', '--num-heldout', '2', '--size', '48'])
    out = capsys.readouterr().out
    assert 'clean_train.json' in out
    assert len(json.loads((tmp_path / 'clean_train.json').read_text())['images']) == 4
    train = json.loads((tmp_path / 'train.json').read_text())
    assert len(train['images']) == 2 and len(train['annotations']) >= 1
