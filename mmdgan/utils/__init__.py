from .checkpoint_compat import allow_mmengine_checkpoints
from .setup_env import mmdgan_scope, register_all_modules

__all__ = ['allow_mmengine_checkpoints', 'mmdgan_scope', 'register_all_modules']
