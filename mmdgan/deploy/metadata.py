"""mmdgan metadata stored in an exported model's ``metadata_props``.

The metadata tells a consumer how to feed the model (value range, channels,
mask convention) without the training config, and marks the file as an mmdgan
generator so that an unrelated ONNX model is refused with a clear error.
"""
from typing import Dict, Mapping

import onnx

from mmdgan.structures import check_mask_shape
from mmdgan.version import __version__

#: Every key is stored with this prefix, so foreign metadata is left alone.
PREFIX = 'mmdgan.'
#: Keys a model must carry to be accepted by ``OrtInserter``.
REQUIRED_KEYS = ('version', 'which', 'image_channels', 'value_range', 'channel_order',
                 'mask_convention', 'size_divisor', 'precision')
#: Graph input and output names of every exported generator.
INPUT_NAMES = ('img', 'mask')
OUTPUT_NAME = 'out'
MASK_CONVENTION = 'float32 (B,1,H,W): 1 inside boxes, 0 elsewhere'
VALUE_RANGE = '-1,1'


def channel_order(channels: int) -> str:
    """Channel order of the images a generator expects (mmcv loads colour as BGR)."""
    return 'gray' if channels == 1 else ('bgr' if channels == 3 else f'{channels}-channel')


def generator_metadata(generator, which: str, mask_shape: str = 'box',
                       **extra: object) -> Dict[str, str]:
    """Metadata of an exported generator.

    Args:
        generator: A ``MaskedResnetGenerator`` (``in_channels``,
            ``size_divisor`` and ``composite`` are read from it).
        which: ``'inserter'`` or ``'remover'``.
        mask_shape: How the training masks were drawn from boxes (``'box'`` or
            ``'ellipse'``, :func:`mmdgan.structures.rasterize_boxes`).
        **extra: Further entries (exporter, opset, precision, ...).

    Returns:
        Unprefixed key -> string value.
    """
    meta = {
        'version': __version__,
        'which': which,
        'image_channels': str(generator.in_channels),
        # Mask channels: one per class of a class-conditional generator.
        'num_classes': str(getattr(generator, 'num_classes', 1)),
        'value_range': VALUE_RANGE,
        'channel_order': channel_order(generator.in_channels),
        'mask_convention': MASK_CONVENTION,
        'mask_shape': check_mask_shape(mask_shape),
        'size_divisor': str(getattr(generator, 'size_divisor', 1)),
        'composite': str(getattr(generator, 'composite', 'hard')),
        'precision': 'fp32',
        'inputs': 'img,mask',
        'outputs': 'out',
    }
    meta.update({key: str(value) for key, value in extra.items()})
    return meta


def write_metadata(model: onnx.ModelProto, meta: Mapping[str, str]) -> None:
    """Replace the mmdgan entries of ``model.metadata_props`` with ``meta``."""
    kept = [(p.key, p.value) for p in model.metadata_props if not p.key.startswith(PREFIX)]
    del model.metadata_props[:]
    for key, value in kept:
        model.metadata_props.add(key=key, value=value)
    for key, value in sorted(meta.items()):
        model.metadata_props.add(key=PREFIX + key, value=str(value))


def parse_metadata(props: Mapping[str, str], source: str) -> Dict[str, str]:
    """Extract and check the mmdgan entries of a metadata map.

    Args:
        props: ``metadata_props`` as a mapping (or ORT's
            ``custom_metadata_map``).
        source: File name used in the error message.

    Returns:
        Unprefixed key -> value.

    Raises:
        ValueError: If a required key is missing.
    """
    meta = {k[len(PREFIX):]: v for k, v in props.items() if k.startswith(PREFIX)}
    missing = [k for k in REQUIRED_KEYS if k not in meta]
    if missing:
        raise ValueError(f'{source}: ONNX model has no mmdgan metadata (missing '
                         f'{", ".join(PREFIX + k for k in missing)}); export it with '
                         'deploy/export_onnx.py')
    return meta


def read_metadata(model: onnx.ModelProto, source: str = '<model>') -> Dict[str, str]:
    """mmdgan metadata of a loaded model (see :func:`parse_metadata`)."""
    return parse_metadata({p.key: p.value for p in model.metadata_props}, source)


def mask_shape_of(meta: Mapping[str, str], source: str) -> str:
    """The ``mask_shape`` a model was exported with (``'box'`` for exports that
    predate the key: every generator was then trained on box masks)."""
    return check_mask_shape(meta.get('mask_shape', 'box'), f'{source}: mmdgan.mask_shape')
