"""A built mmdgan wheel ships the configs and tools (mmdgan/.mim/, OpenMMLab's layout)
and the LICENSE."""
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

from mmengine.config import Config

REPO = Path(__file__).resolve().parents[2]
SOURCES = ('setup.py', 'README.md', 'LICENSE', 'requirements', 'mmdgan', 'configs', 'tools')


def _relative_files(folder: Path):
    return {p.relative_to(folder).as_posix() for p in folder.rglob('*')
            if p.is_file() and '__pycache__' not in p.parts}


def test_wheel_carries_configs_tools_and_license(tmp_path):
    src = tmp_path / 'src'
    src.mkdir()
    for name in SOURCES:  # a copy: building writes mmdgan/.mim into the source tree
        path = REPO / name
        if path.is_dir():
            shutil.copytree(path, src / name,
                            ignore=shutil.ignore_patterns('__pycache__', '.mim'))
        else:
            shutil.copy(path, src / name)
    subprocess.run([sys.executable, '-m', 'pip', 'wheel', '-q', '--no-deps',
                    '--no-build-isolation', str(src), '-w', str(tmp_path / 'dist')],
                   check=True, capture_output=True)
    wheel, = (tmp_path / 'dist').glob('mmdgan-*.whl')
    with zipfile.ZipFile(wheel) as archive:
        names = set(archive.namelist())
        archive.extractall(tmp_path / 'installed')
    for folder in ('configs', 'tools'):
        shipped = {n.split(f'mmdgan/.mim/{folder}/', 1)[1] for n in names
                   if n.startswith(f'mmdgan/.mim/{folder}/')}
        assert shipped == _relative_files(src / folder), folder
    assert any(n.endswith('.dist-info/licenses/LICENSE') or n.endswith('.dist-info/LICENSE')
               for n in names)
    # A shipped config resolves its _base_ chain inside the package.
    cfg = Config.fromfile(str(tmp_path / 'installed/mmdgan/.mim/configs/'
                              'detector/retinanet_r18_1xb4-300it_demo-128px_real-syn.py'))
    assert cfg.train_dataloader.dataset.type == 'ConcatDataset'
