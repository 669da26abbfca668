from .diff_augment import DiffAugment

__all__ = ['DiffAugment']
