"""Command-line options shared by the comparison tools (``tools/experiments/``)."""
import argparse
from typing import Dict

from mmengine.config import DictAction

from .small_data import ARMS


def add_config_args(parser: argparse.ArgumentParser) -> None:
    """The detector / GAN configs and their ``--cfg-options`` overrides."""
    parser.add_argument('--det-config', help='detector config (default: the preset\'s)')
    parser.add_argument('--det-syn-config', help='default: the _real-syn variant')
    parser.add_argument('--det-options', nargs='+', action=DictAction, default={},
                        help='extra --cfg-options of every detector run')
    parser.add_argument('--gan-options', nargs='+', action=DictAction, default={},
                        help='extra --cfg-options of every GAN run')
    for arm in ARMS.values():
        if arm.synthetic == 'gan':
            parser.add_argument(f'--{arm.name}-config',
                                help=f'GAN config of arm {arm.name} (default: found in configs/)')


def gan_configs_from_args(args: argparse.Namespace) -> Dict[str, str]:
    """Arm -> GAN config given on the command line (others are found by tag)."""
    given = {a: getattr(args, f'{a.replace("-", "_")}_config') for a in ARMS
             if ARMS[a].synthetic == 'gan'}
    return {a: c for a, c in given.items() if c}
