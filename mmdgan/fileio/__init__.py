"""Generic file I/O every part of mmdgan shares: atomic writes, images, COCO files."""
from .atomic import (apply_umask, atomic_path, current_umask, write_bytes_atomic,
                     write_json_atomic, write_text_atomic)
from .checkpoint import read_checkpoint
from .checkpoint_compat import allow_mmengine_checkpoints
from .coco import ImageRecord, coco_records, load_coco, make_coco
from .image import read_image, write_image_atomic
from .output_dir import OutputDir, holds_only, remove_stale_temp_dirs

__all__ = [
    'ImageRecord', 'OutputDir', 'allow_mmengine_checkpoints', 'apply_umask', 'atomic_path',
    'coco_records', 'current_umask',
    'holds_only',
    'load_coco', 'make_coco', 'read_checkpoint', 'read_image', 'remove_stale_temp_dirs',
    'write_bytes_atomic', 'write_image_atomic', 'write_json_atomic', 'write_text_atomic'
]
