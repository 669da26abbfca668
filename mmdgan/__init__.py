"""mmdgan: detector-aware GANs for small-data object detection (DetectorGAN)."""
from .version import __version__

__all__ = ['__version__']
