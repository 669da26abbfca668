"""Load a trained generator from a DetectorGAN config + checkpoint and run it.

``TorchInserter`` and ``mmdgan.deploy.OrtInserter`` share one call signature,
so synthesis code does not care which backend runs the generator.
"""
from typing import Optional, Sequence, Union

import numpy as np
import torch
from mmengine.config import Config
from mmengine.runner.checkpoint import load_state_dict

from mmdgan.fileio import atomic_path, read_checkpoint
from mmdgan.registry import MODELS
from mmdgan.utils import load_config

#: DetectorGAN attribute (and checkpoint key prefix) of each generator.
GENERATOR_KEYS = {'inserter': 'generator_x', 'remover': 'generator_y'}

#: Weight magnitude beyond which a generator counts as diverged: the
#: threshold ``FiniteWeightsHook`` warns at during training (its ``max_abs``).
DIVERGED_ABS = 1e6


def check_finite_weights(generator: torch.nn.Module, checkpoint: str, which: str) -> None:
    """Refuse a generator whose weights are non-finite or diverged.

    A run stopped by the NaN guard may have written weights around 1e30
    before it stopped; such an inserter paints black boxes that synthesis
    would label as objects.

    Raises:
        ValueError: Naming the checkpoint and the first bad parameter.
    """
    from mmdgan.engine.hooks.finite_weights_hook import first_bad_parameter

    bad = first_bad_parameter(generator, DIVERGED_ABS)
    if bad is not None:
        name, peak = bad
        raise ValueError(f'{checkpoint}: the {which} weight {name!r} is {peak:.3g} (beyond '
                         f'{DIVERGED_ABS:g}): training diverged; use an earlier checkpoint')


def _generator_weights(state: dict, checkpoint: str, key: str) -> dict:
    """The ``<key>.*`` tensors of a loaded checkpoint, or a KeyError naming it.

    Where the run kept a moving average of the generator (``<key>_ema.*``,
    DetectorGAN's ``inserter_ema``), that is the generator: its tensors are
    returned under the ``<key>.`` names.
    """
    prefix, ema = f'{key}.', f'{key}_ema.'
    weights = state.get('state_dict', state)
    averaged = {prefix + k[len(ema):]: v for k, v in weights.items() if k.startswith(ema)}
    own = averaged or {k: v for k, v in weights.items() if k.startswith(prefix)}
    if not own:
        raise KeyError(f'{checkpoint}: no {prefix}* weights in the checkpoint')
    return own


def load_generator(config: Union[str, Config],
                   checkpoint: Optional[str],
                   which: str = 'inserter',
                   device: str = 'cpu') -> torch.nn.Module:
    """Build ``G_X`` (inserter) or ``G_Y`` (remover) and load its weights.

    Args:
        config: DetectorGAN config file or object; ``model.generator_x`` /
            ``model.generator_y`` describe the generators.
        checkpoint: A checkpoint saved by ``tools/train.py`` (keys prefixed
            ``generator_x.`` / ``generator_y.``), or ``None`` for random
            weights (tests, benchmarks).
        which: ``'inserter'`` or ``'remover'``.
        device: Torch device string.

    Returns:
        The generator in eval mode on ``device``.
    """
    if which not in GENERATOR_KEYS:
        raise ValueError(f"which must be one of {sorted(GENERATOR_KEYS)}, got {which!r}")
    cfg = load_config(config) if isinstance(config, str) else config
    key = GENERATOR_KEYS[which]
    if key not in cfg.model:
        raise KeyError(f'config has no model.{key}: not a DetectorGAN config')
    from mmdgan.models.generators import with_local_crop
    from mmdgan.utils import mmdgan_scope
    with mmdgan_scope():
        generator = MODELS.build(with_local_crop(cfg.model[key], cfg.model.get('local_crop')))
    if checkpoint is not None:
        # A DetectorGAN checkpoint holds every module: keep this generator's
        # keys only, then load strictly (a missing key is still an error).
        own = _generator_weights(read_checkpoint(checkpoint), checkpoint, key)
        prefix = f'{key}.'
        load_state_dict(generator, {k[len(prefix):]: v for k, v in own.items()},
                        strict=True, logger='silent')
        check_finite_weights(generator, checkpoint, which)
    return generator.to(device).eval()


def save_generator(checkpoint: str, out: str, which: str = 'inserter') -> int:
    """Copy one generator's weights out of a DetectorGAN checkpoint.

    The result is a checkpoint ``load_generator`` (and so synthesis and ONNX
    export) reads like the full one, at a few percent of its size: the
    detector, discriminators and optimiser states stay behind. Experiments
    commit it so that a later machine synthesises without retraining the GAN.

    Args:
        checkpoint: A checkpoint saved by ``tools/train.py``.
        out: Where to write the generator's checkpoint (atomically).
        which: ``'inserter'`` or ``'remover'``.

    Returns:
        The number of tensors written.
    """
    if which not in GENERATOR_KEYS:
        raise ValueError(f"which must be one of {sorted(GENERATOR_KEYS)}, got {which!r}")
    state = read_checkpoint(checkpoint)
    own = _generator_weights(state, checkpoint, GENERATOR_KEYS[which])
    meta = {k: v for k, v in state.get('meta', {}).items()
            if k in ('iter', 'epoch', 'seed', 'experiment_name', 'mmengine_version')}
    with atomic_path(out) as tmp:
        torch.save(dict(state_dict=own, meta=dict(meta, source=str(checkpoint))), tmp)
    return len(own)


def check_inputs(images: np.ndarray, masks: np.ndarray, in_channels: int,
                 num_classes: int = 1) -> None:
    """Raise a one-line ValueError unless ``images``/``masks`` fit the generator
    (``num_classes`` mask channels: one per class of a class-conditional one)."""
    for name, array in (('images', images), ('masks', masks)):
        if not isinstance(array, np.ndarray):
            raise ValueError(f'{name} must be a numpy array, got {type(array).__name__}')
        if array.ndim != 4:
            raise ValueError(f'{name} must have rank 4 (B, C, H, W), got shape {array.shape}')
    if images.shape[1] != in_channels:
        raise ValueError(f'images have {images.shape[1]} channels, the model takes '
                         f'{in_channels}: shape {images.shape}')
    expected = (images.shape[0], num_classes, *images.shape[2:])
    if masks.shape != expected:
        raise ValueError(f'masks must be {expected} to match images {images.shape}, '
                         f'got {masks.shape}')


class TorchInserter:
    """Run a generator eagerly on batches of numpy arrays.

    Args:
        generator: A ``MaskedResnetGenerator`` (or compatible) module.
        device: Torch device string.
    """

    def __init__(self, generator: torch.nn.Module, device: str = 'cpu') -> None:
        self.generator = generator.to(device).eval()
        self.device = device
        self.in_channels = getattr(generator, 'in_channels', None)
        self.num_classes = int(getattr(generator, 'num_classes', 1))
        self.local_crop = bool(getattr(generator, 'uses_boxes', False))

    @torch.no_grad()
    def __call__(self, images: np.ndarray, masks: np.ndarray,
                 boxes: Optional[Sequence[np.ndarray]] = None) -> np.ndarray:
        """Insert objects.

        Args:
            images: float32 ``(B, C, H, W)`` in ``[-1, 1]``.
            masks: float32 ``(B, num_classes, H, W)``, 1 inside the insertion
                boxes (of the channel's class).
            boxes: Per image, the ``(K, 4)`` xyxy boxes of the masks; needed
                by local-crop generators, ignored by full-image ones.

        Returns:
            float32 ``(B, C, H, W)`` in ``[-1, 1]``.
        """
        if self.in_channels is not None:
            check_inputs(images, masks, self.in_channels, self.num_classes)
        img = torch.from_numpy(np.ascontiguousarray(images, dtype=np.float32)).to(self.device)
        mask = torch.from_numpy(np.ascontiguousarray(masks, dtype=np.float32)).to(self.device)
        if self.local_crop:
            from mmdgan.models.layers.context_window import as_box_tensors
            box_tensors = [b.to(self.device) for b in as_box_tensors(boxes, len(images),
                                                                     'the generator')]
            out = self.generator(img, mask, box_tensors)
        else:
            out = self.generator(img, mask)
        return out.float().cpu().numpy()
