"""mmdgan: detector-aware GANs for small-data object detection (DetectorGAN)."""
from .utils.checkpoint_compat import allow_mmengine_checkpoints
from .version import __version__

# Importing mmdgan is enough to make ``--resume`` work on torch >= 2.6.
allow_mmengine_checkpoints()

__all__ = ['__version__']
