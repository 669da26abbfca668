from .detector_gan_optim_wrapper_constructor import DetectorGANOptimWrapperConstructor

__all__ = ['DetectorGANOptimWrapperConstructor']
