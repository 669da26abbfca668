"""Packaging for mmdgan. torch and mmcv (with compiled ops) come first, from
``tools/install.sh``; see the README."""
import os
import os.path as osp
import shutil
import sys

from setuptools import find_packages, setup

#: Shipped inside the package as ``mmdgan/.mim/<name>``, OpenMMLab's layout, so
#: that an installed mmdgan carries its configs and tools (``mim`` finds them there).
MIM_FILES = ('configs', 'tools')


def read_version() -> str:
    namespace: dict = {}
    with open(osp.join(osp.dirname(__file__), 'mmdgan', 'version.py')) as f:
        exec(f.read(), namespace)
    return namespace['__version__']


def read_requirements(name: str) -> list:
    path = osp.join(osp.dirname(__file__), 'requirements', name)
    with open(path) as f:
        return [line.strip() for line in f
                if line.strip() and not line.startswith(('#', '-r'))]


def add_mim_extension() -> None:
    """Put ``configs/`` and ``tools/`` into ``mmdgan/.mim`` for a wheel or sdist.

    As mmdet's ``setup.py`` does: copies when a distribution is built
    (``pip install .``, ``bdist_wheel``, ``sdist``); an editable install
    (``pip install -e .``, which ``tools/install.sh`` makes) reads the
    repository's own folders and needs nothing here.
    """
    if not {'bdist_wheel', 'sdist'} & set(sys.argv):
        return
    repo = osp.dirname(osp.abspath(__file__))
    mim = osp.join(repo, 'mmdgan', '.mim')
    os.makedirs(mim, exist_ok=True)
    for name in MIM_FILES:
        target = osp.join(mim, name)
        if osp.islink(target) or osp.isfile(target):
            os.remove(target)
        elif osp.isdir(target):
            shutil.rmtree(target)
        shutil.copytree(osp.join(repo, name), target,
                        ignore=shutil.ignore_patterns('__pycache__', '*.pyc'))


add_mim_extension()
setup(
    name='mmdgan',
    version=read_version(),
    description='OpenMMLab toolkit for small-data object detection with a '
    'detector-aware GAN (DetectorGAN)',
    long_description=open(osp.join(osp.dirname(__file__), 'README.md')).read(),
    long_description_content_type='text/markdown',
    packages=find_packages(exclude=('configs', 'tools', 'tests', 'deploy')),
    python_requires='>=3.10',
    package_data={'mmdgan': [f'.mim/{name}/**/*' for name in MIM_FILES]},
    install_requires=read_requirements('runtime.txt'),
    extras_require={
        'deploy': read_requirements('deploy.txt'),
        'tests': read_requirements('tests.txt'),
    },
    license='Apache License 2.0',
    zip_safe=False)
