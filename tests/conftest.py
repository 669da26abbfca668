"""Session-wide fixtures shared by every test folder."""
import json
import shutil
from pathlib import Path
from typing import Callable, List

import pytest

from mmdgan.datasets.demo import make_demo_dataset

#: The shared mini-MIAS folder next to the repository (present in CI, absent
#: from a bare clone).
MINI_MIAS_ROOT = Path(__file__).resolve().parents[1].parent / 'shared/data/mini-mias'

#: Small enough to build in about a second, large enough for DataLoader tests.
DEMO_KWARGS = dict(seed=0, num_clean=24, num_labelled=12, size=96, num_heldout=6)


def pytest_configure(config) -> None:
    config.addinivalue_line(
        'markers', 'mini_mias: needs the shared mini-MIAS files (../shared/data/mini-mias); '
        'skipped with the reason where they are absent')


def pytest_collection_modifyitems(config, items) -> None:
    """Skip ``@pytest.mark.mini_mias`` tests on a clone without ``../shared``."""
    if (MINI_MIAS_ROOT / 'Info.txt').is_file():
        return
    skip = pytest.mark.skip(reason=f'mini-MIAS not found at {MINI_MIAS_ROOT} (the shared '
                            'data folder beside the clone)')
    for item in items:
        if 'mini_mias' in item.keywords:
            item.add_marker(skip)


@pytest.fixture(scope='session')
def demo_data(tmp_path_factory) -> Path:
    """A small demo dataset folder (``images/`` + six COCO files), made once."""
    out = tmp_path_factory.mktemp('demo_data')
    make_demo_dataset(out, **DEMO_KWARGS)
    return out


@pytest.fixture(scope='session')
def mini_mias_root() -> Path:
    """The shared mini-MIAS folder next to the repository (present in CI)."""
    if not (MINI_MIAS_ROOT / 'Info.txt').is_file():
        pytest.skip(f'mini-MIAS not found at {MINI_MIAS_ROOT}')
    return MINI_MIAS_ROOT


@pytest.fixture(scope='session')
def colour_data(tmp_path_factory) -> Path:
    """A small colour two-class demo folder (``disc``, ``square``), made once."""
    from mmdgan.datasets.demo_colour import make_colour_demo_dataset

    out = tmp_path_factory.mktemp('colour_data') / 'colour'
    make_colour_demo_dataset(out, seed=0, num_clean=12, num_labelled=16, size=96,
                             num_heldout=6)
    return out


@pytest.fixture
def synthetic_copy(demo_data, tmp_path) -> Callable[[Callable[[dict], List[str]]], Path]:
    """Make a 'synthetic' folder holding Y train's own images and boxes, with
    ``info.sources`` from ``sources(coco)`` (the clean image each was "made
    from", as tools/synthesize.py records it); returns its ``train.json``."""
    def make(sources: Callable[[dict], List[str]]) -> Path:
        coco = json.loads((demo_data / 'train.json').read_text())
        syn = tmp_path / 'syn'
        shutil.copytree(demo_data / 'images', syn / 'images')
        coco['info'] = dict(sources=sources(coco))
        (syn / 'train.json').write_text(json.dumps(coco))
        return syn / 'train.json'
    return make


@pytest.fixture(params=['no bbox', 'unknown image_id'])
def malformed_train_json(request, demo_data, tmp_path) -> Path:
    """Y train of the demo data with its first annotation broken one way (the
    param); every reader of labelled boxes must name the file and annotation."""
    coco = json.loads((demo_data / 'train.json').read_text())
    first = coco['annotations'][0]
    if request.param == 'no bbox':
        del first['bbox']
    else:
        first['image_id'] = max(i['id'] for i in coco['images']) + 1
    path = tmp_path / 'train.json'
    path.write_text(json.dumps(coco))
    return path
