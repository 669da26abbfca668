"""Deploying a ``LocalCropInserter``: export its crop network, crop and paste in shared code.

The ONNX file holds only the network that paints one window crop (dynamic
batch of crops); cropping the windows and pasting them back run in
:func:`mmdgan.models.layers.context_window.insert_in_windows`, the very code
the PyTorch model runs, with the window settings stored in the file's
metadata. So PyTorch and ONNX Runtime edit the same pixels, and int8/fp16
variants quantize only the network.
"""
from functools import partial
from typing import Callable, Dict, Mapping, Sequence

import numpy as np
import torch
import torch.nn as nn

from mmdgan.models.generators.masked_resnet_generator import blend_weight
from mmdgan.models.layers.context_window import as_box_tensors, insert_in_windows

#: ``mode`` metadata of each kind of export.
FULL_IMAGE, LOCAL_CROP = 'full_image', 'local_crop'
#: Window settings stored in a local-crop export's metadata, with their types.
SETTINGS = dict(crop_size=int, context=float, min_window=int, margin=int, composite=str,
                feather_radius=int, paste=str)
#: Settings added after the first exports, with the value those files behave by.
SETTINGS_DEFAULTS = dict(paste='output')

#: ``run(crops, crop_masks) -> raw crops``, float32 numpy in and out.
CropRunner = Callable[[np.ndarray, np.ndarray], np.ndarray]


def is_local_crop(generator: nn.Module) -> bool:
    """Whether ``generator`` works on box windows (``LocalCropInserter``)."""
    return bool(getattr(generator, 'uses_boxes', False))


class CropNetwork(nn.Module):
    """The exported part of a ``LocalCropInserter``: raw output on window crops."""

    def __init__(self, inserter: nn.Module) -> None:
        super().__init__()
        self.generator = inserter.generator
        self.in_channels = inserter.in_channels
        self.num_classes = getattr(inserter, 'num_classes', 1)
        self.size_divisor = getattr(inserter.generator, 'size_divisor', 1)

    def forward(self, img: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        return self.generator.generate(img, mask)


def window_settings(inserter: nn.Module) -> Dict[str, object]:
    """Settings that rebuild the crop-and-paste of ``inserter`` around its network."""
    generator = inserter.generator
    return dict(crop_size=inserter.crop_size, context=inserter.context,
                min_window=inserter.min_window, margin=inserter.margin,
                composite=getattr(generator, 'composite', 'hard'),
                feather_radius=getattr(generator, 'feather_radius', 0), paste=inserter.paste)


def settings_from_metadata(meta: Mapping[str, str], source: str) -> Dict[str, object]:
    """Typed window settings of a local-crop export; a clear error if one is missing."""
    meta = {**SETTINGS_DEFAULTS, **meta}
    missing = [key for key in SETTINGS if key not in meta]
    if missing:
        raise ValueError(f'{source}: local-crop model lacks metadata {missing}; re-export it '
                         'with deploy/export_onnx.py')
    return {key: cast(meta[key]) for key, cast in SETTINGS.items()}


@torch.no_grad()
def insert_with_crop_runner(images: np.ndarray, masks: np.ndarray, boxes: Sequence,
                            run: CropRunner, settings: Mapping[str, object],
                            source: str = 'model') -> np.ndarray:
    """Local-crop insertion with any backend painting the crops.

    Args:
        images: float32 ``(B, C, H, W)`` in ``[-1, 1]``.
        masks: float32 ``(B, 1, H, W)``, or one channel per class.
        boxes: Per image, a ``(K, 4)`` xyxy array (``K`` may be 0).
        run: Paints a batch of crops (e.g. an ORT session).
        settings: :func:`window_settings` / :func:`settings_from_metadata`.
        source: Name used in error messages.

    Returns:
        float32 ``(B, C, H, W)``.
    """
    img = torch.from_numpy(np.ascontiguousarray(images, np.float32))
    mask = torch.from_numpy(np.ascontiguousarray(masks, np.float32))
    box_tensors = as_box_tensors(boxes, len(images), source)

    def generate(crops: torch.Tensor, crop_masks: torch.Tensor) -> torch.Tensor:
        out = run(np.ascontiguousarray(crops.numpy()), np.ascontiguousarray(crop_masks.numpy()))
        return torch.from_numpy(np.asarray(out, np.float32))

    blend = partial(blend_weight, composite=settings['composite'],
                    feather_radius=settings['feather_radius'])
    out = insert_in_windows(img, mask, box_tensors, generate, blend, settings['crop_size'],
                            settings['context'], settings['min_window'], settings['margin'],
                            settings['paste'])
    return out.numpy()
