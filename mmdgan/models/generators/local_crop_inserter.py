"""Local generation: a masked generator run on a context window around each box."""
from typing import Optional, Sequence

import torch
from mmengine.model import BaseModule

from mmdgan.models.layers.context_window import (
    PASTE_MODES,
    context_windows,
    crop_windows,
    insert_in_windows,
)
from mmdgan.registry import MODELS


@MODELS.register_module()
class LocalCropInserter(BaseModule):
    """Run a masked generator on box windows instead of the whole image.

    Each box gets a square window ``context`` times its longer side (at
    least ``min_window`` pixels and the feather radius on every side), centred
    on it and never shifted to fit the image (the outside is border-replicated).
    Windows are resized to ``crop_size``, the wrapped generator paints the
    box's own mask in them, and its raw output (or the change it made,
    ``paste='change'``) is resized back and blended in with the generator's
    composite (hard or feathered) at full resolution.
    Every pixel outside the windows is bit-identical to the input, and an
    image without boxes is returned as it is.

    The cost no longer grows with the image: G runs on ``N_boxes`` crops of
    ``crop_size`` pixels. The local discriminator judges these same windows
    (:meth:`window_crops`).

    Args:
        generator: Config of the wrapped generator; it must provide
            ``generate(img, mask)`` (raw output), ``blend_weight(mask)`` and
            ``in_channels``, like ``MaskedResnetGenerator``.
        crop_size: Side of the generator's input crops.
        context: Window side as a multiple of the box's longer side (>= 1).
        min_window: Smallest window side in pixels (tiny boxes get some
            surroundings).
        paste: ``'output'``: the generated crop replaces the window's pixels
            under the composite weight. ``'change'``: only ``generated -
            crop`` is added to them, so a window larger than ``crop_size``
            keeps its full-resolution texture (the natural pairing with a
            residual generator). ``None`` picks ``'change'`` for generators
            with ``output='residual'`` and ``'output'`` otherwise.
        init_cfg: mmengine initialisation config.
    """

    #: ``DetectorGAN`` and the inserters pass the boxes to :meth:`forward`.
    uses_boxes = True

    def __init__(self,
                 generator: dict,
                 crop_size: int = 64,
                 context: float = 3.0,
                 min_window: int = 16,
                 paste: Optional[str] = None,
                 init_cfg: Optional[dict] = None) -> None:
        super().__init__(init_cfg=init_cfg)
        self.generator = MODELS.build(generator)
        for attr in ('generate', 'blend_weight', 'in_channels'):
            if not hasattr(self.generator, attr):
                raise ValueError(f'LocalCropInserter: generator {type(self.generator).__name__} '
                                 f'has no {attr!r}')
        divisor = int(getattr(self.generator, 'size_divisor', 1))
        if int(crop_size) != crop_size or crop_size < 8 or crop_size % divisor:
            raise ValueError(f'crop_size must be an int >= 8 and a multiple of the '
                             f"generator's size_divisor {divisor}, got {crop_size!r}")
        if not context >= 1:
            raise ValueError(f'context must be >= 1 (the window holds the box), got {context!r}')
        if int(min_window) != min_window or min_window < 1:
            raise ValueError(f'min_window must be an int >= 1, got {min_window!r}')
        if paste is None:
            paste = 'change' if getattr(self.generator, 'output', None) == 'residual' else 'output'
        if paste not in PASTE_MODES:
            raise ValueError(f'paste must be one of {PASTE_MODES}, got {paste!r}')
        self.paste = paste
        self.crop_size = int(crop_size)
        self.context = float(context)
        self.min_window = int(min_window)
        self.in_channels = self.generator.in_channels
        self.num_classes = int(getattr(self.generator, 'num_classes', 1))

    @property
    def margin(self) -> int:
        """Pixels kept around each box, so the feathered edge is never cut."""
        if getattr(self.generator, 'composite', 'hard') == 'feather':
            return int(self.generator.feather_radius) + 1
        return 0

    def windows(self, boxes: Sequence) -> list:
        """The windows of per-image ``(K_i, 4)`` boxes (see ``context_windows``)."""
        return context_windows(boxes, self.context, self.min_window, self.margin)

    def window_crops(self, img: torch.Tensor, boxes: Sequence) -> torch.Tensor:
        """``(N, C, crop_size, crop_size)`` crops of the windows of ``boxes``."""
        return crop_windows(img, self.windows(boxes), self.crop_size)[0]

    def forward(self, img: torch.Tensor, mask: torch.Tensor,
                boxes: Sequence) -> torch.Tensor:
        """Edit ``img`` inside ``mask``, one window per box.

        Args:
            img: ``(B, C, H, W)`` images in ``[-1, 1]``.
            mask: ``(B, num_classes, H, W)`` masks rasterised from ``boxes``.
            boxes: Per image, ``(K_i, 4)`` xyxy pixel boxes (``K_i`` may be 0).

        Returns:
            ``(B, C, H, W)`` images in ``[-1, 1]``.
        """
        if img.dim() != 4 or img.shape[1] != self.in_channels:
            raise ValueError(f'img must be (B, {self.in_channels}, H, W), '
                             f'got {tuple(img.shape)}')
        expected = (img.shape[0], self.num_classes, *img.shape[2:])
        if mask.shape != expected:
            raise ValueError(f'mask must be {expected} (one channel per class), '
                             f'got {tuple(mask.shape)}')
        return insert_in_windows(img, mask, boxes, self.generator.generate,
                                 self.generator.blend_weight, self.crop_size, self.context,
                                 self.min_window, self.margin, self.paste)


def with_local_crop(generator: dict, local_crop: Optional[dict]) -> dict:
    """``generator``'s config, wrapped in a ``LocalCropInserter`` when ``local_crop`` is set.

    The one switch of local generation (``model.local_crop`` of a DetectorGAN
    config), read the same way by the model and by the inserters that load
    a generator from a config.

    Args:
        generator: Config of a full-image generator.
        local_crop: ``None`` (full-image generation) or the
            ``LocalCropInserter`` settings, e.g. ``dict(crop_size=64,
            context=3.0)``.
    """
    if local_crop is None:
        return generator
    if not isinstance(local_crop, dict) or 'generator' in local_crop or 'type' in local_crop:
        raise ValueError('model.local_crop must be a dict of LocalCropInserter settings '
                         f'(crop_size, context, min_window), got {local_crop!r}')
    if generator.get('type') in ('LocalCropInserter', LocalCropInserter):
        raise ValueError('model.local_crop is set and the generator is a LocalCropInserter '
                         'already: use one or the other')
    return dict(type='LocalCropInserter', generator=generator, **local_crop)
