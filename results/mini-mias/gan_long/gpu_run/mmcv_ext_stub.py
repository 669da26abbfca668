"""Stand-in for mmcv's compiled ``_ext`` on a machine where it was not built.

Only for the one-off GPU run (work_dirs/device/run_gan.sh): mmcv.ops imports
every kernel name at import time, but DetectorGAN's training step calls none
of them (its in-loop detector uses the pure-PyTorch focal loss of
make_twice_differentiable, and validation is off). Any call raises.
"""


def get_compiler_version() -> str:
    return 'stub'


def get_compiling_cuda_version() -> str:
    return 'stub'


def __getattr__(name):
    def missing(*args, **kwargs):
        raise NotImplementedError(f'mmcv._ext.{name} is a stub: mmcv ops are not compiled here')
    return missing
