from .local_patch_discriminator import LocalPatchDiscriminator
from .patch_discriminator import PatchDiscriminator

__all__ = ['LocalPatchDiscriminator', 'PatchDiscriminator']
