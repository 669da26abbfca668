"""Generic file I/O every part of mmdgan shares: atomic writes, images, COCO files."""
from .atomic import (apply_umask, atomic_path, current_umask, write_bytes_atomic,
                     write_json_atomic, write_text_atomic)
from .checkpoint import (checkpoint_problem, newest_sound_checkpoint, numbered_checkpoints,
                         read_checkpoint)
from .checkpoint_compat import allow_mmengine_checkpoints
from .coco import (ABSOLUTE_FILE_NAMES, ImageRecord, coco_records, image_path, is_ignored,
                   load_coco, make_coco)
from .image import read_image, write_image_atomic
from .output_dir import MARKER, OutputDir, holds_only, read_marker, remove_stale_temp_dirs

__all__ = [
    'ABSOLUTE_FILE_NAMES', 'MARKER', 'ImageRecord', 'OutputDir', 'allow_mmengine_checkpoints',
    'apply_umask', 'atomic_path',
    'coco_records', 'current_umask', 'holds_only', 'image_path', 'is_ignored', 'load_coco',
    'make_coco',
    'checkpoint_problem', 'newest_sound_checkpoint', 'numbered_checkpoints', 'read_checkpoint',
    'read_image', 'read_marker',
    'remove_stale_temp_dirs', 'write_bytes_atomic', 'write_image_atomic', 'write_json_atomic',
    'write_text_atomic'
]
