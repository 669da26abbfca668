from .config import load_config
from .runner_config import build_runner_config
from .setup_env import mmdgan_scope, register_all_modules

__all__ = ['build_runner_config', 'load_config', 'mmdgan_scope', 'register_all_modules']
