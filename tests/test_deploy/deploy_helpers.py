"""Helpers of the deployment tests (a unique module name: every test folder has a conftest)."""
import importlib.util
from pathlib import Path
from types import ModuleType

import torch

from mmdgan.models.generators import LocalCropInserter, MaskedResnetGenerator

REPO = Path(__file__).resolve().parents[2]
TINY_CONFIG = Path(__file__).parent / 'configs' / 'dgan_tiny-gen_test.py'


def make_tiny_generator(in_channels: int = 1, seed: int = 0,
                        upsample: str = 'nearest',
                        output: str = 'image') -> MaskedResnetGenerator:
    """8-wide, 2-block generator with the training init (N(0, 0.02) convs),
    a residual head included, so that the export sees a non-trivial one."""
    torch.manual_seed(seed)
    generator = MaskedResnetGenerator(in_channels, base_channels=8, num_blocks=2,
                                      upsample=upsample, output=output)
    # The training init (mmengine's Normal(0, 0.02) on convs), without its log.
    for module in generator.modules():
        if isinstance(module, torch.nn.Conv2d):
            torch.nn.init.normal_(module.weight, 0, 0.02)
            if module.bias is not None:
                torch.nn.init.zeros_(module.bias)
    return generator.eval()


def load_cli(name: str) -> ModuleType:
    """Import ``deploy/<name>.py`` (a script folder, not a package)."""
    spec = importlib.util.spec_from_file_location(f'deploy_{name}', REPO / 'deploy' / f'{name}.py')
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def make_tiny_crop_inserter(seed: int = 0, output: str = 'image') -> LocalCropInserter:
    """:func:`make_tiny_generator`'s network inside a ``LocalCropInserter`` (32 px
    crops; a residual generator pastes its change, the default pairing)."""
    inserter = LocalCropInserter(
        dict(type='MaskedResnetGenerator', in_channels=1, base_channels=8, num_blocks=2,
             composite='feather', feather_radius=2, output=output),
        crop_size=32, context=2.5, min_window=8)
    inserter.generator.load_state_dict(
        make_tiny_generator(seed=seed, output=output).state_dict())
    return inserter.eval()
