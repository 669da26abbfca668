"""DetectorGAN: an object inserter trained with a detector in the loop.

After Liu et al., "Generative Modeling for Small-Data Object Detection"
(ICCV 2019). See ``docs/method.md`` for the notation.
"""
import contextlib
import copy
import math
import os.path as osp
from typing import Dict, Iterator, List, Optional, Sequence, Tuple, Union

import torch
import torch.nn as nn
import torch.nn.functional as F
from mmdet.models.utils import samplelist_boxtype2tensor
from mmengine.model import BaseModel, is_model_wrapper
from mmengine.optim import OptimWrapperDict
from mmengine.structures import BaseDataElement

from mmdgan.fileio import read_checkpoint
from mmdgan.models.detector_gan_cfg import (
    check_inserter_ema,
    check_loss_weights,
    check_train_cfg,
    check_unroll,
)
from mmdgan.registry import MODELS

#: Attribute names of the modules each optimizer group owns.
OPTIM_GROUPS = dict(
    generators=('generator_x', 'generator_y'),
    discriminators=('disc_global_x', 'disc_global_y', 'disc_local_x'),
    detector=('detector', ))

ModuleOrWrapper = Union[nn.Module, 'torch.nn.parallel.DistributedDataParallel']


def unwrap(module: nn.Module) -> nn.Module:
    """Return the module inside a (DDP) model wrapper, or the module itself."""
    return module.module if is_model_wrapper(module) else module


@contextlib.contextmanager
def frozen(*modules: nn.Module) -> Iterator[None]:
    """Temporarily set ``requires_grad=False`` on every parameter of ``modules``.

    The generator loss goes through the discriminators and the detector, whose
    parameters the generator optimizer must neither update nor pollute with
    gradients; freezing also skips computing those weight gradients at all.
    """
    params = [p for m in modules for p in m.parameters()]
    flags = [p.requires_grad for p in params]
    try:
        for p in params:
            p.requires_grad_(False)
        yield
    finally:
        for p, flag in zip(params, flags):
            p.requires_grad_(flag)


def check_finite(losses: Dict[str, torch.Tensor], iteration: int,
                 note: str = 'no optimizer has stepped in this iteration; checkpoints are '
                 'written only with finite weights (FiniteWeightsHook), but weights that '
                 'diverged slowly (learning rate too high) can be finite and still fail '
                 'again on resume') -> None:
    """Raise ``FloatingPointError`` naming the first non-finite loss term."""
    for name, value in losses.items():
        if not torch.isfinite(value.detach()).all():
            raise FloatingPointError(
                f'loss term {name!r} is {value.detach().float().flatten()[0].item()} at '
                f'iteration {iteration}; {note}')


def load_detector_checkpoint(detector: nn.Module, path: str) -> None:
    """Load a trained detector's weights into ``detector`` (strict).

    Accepts a checkpoint of the detector itself (``backbone.*``, ``neck.*``
    ...) or of a whole DetectorGAN (``detector.*``).

    Raises:
        FileNotFoundError: ``path`` does not exist.
        ValueError: The weights do not fit the detector (names the file and
            the first mismatching keys).
    """
    if not osp.isfile(path):
        raise FileNotFoundError(f'model.detector_checkpoint: {path} does not exist')
    # mmengine's own checkpoint types load because importing mmdgan allow-lists them.
    checkpoint = read_checkpoint(path)
    state = checkpoint.get('state_dict', checkpoint)
    if any(k.startswith('detector.') for k in state):
        state = {k[len('detector.'):]: v for k, v in state.items() if k.startswith('detector.')}
    state = {k[len('module.'):] if k.startswith('module.') else k: v for k, v in state.items()}
    try:
        result = detector.load_state_dict(state, strict=False)
    except RuntimeError as err:  # shape mismatches raise even when not strict
        first = str(err).strip().splitlines()[-1].strip()
        raise ValueError(f'model.detector_checkpoint: {path} does not fit the detector '
                         f'config: {first}') from None
    if result.missing_keys or result.unexpected_keys:
        raise ValueError(
            f'model.detector_checkpoint: {path} does not fit the detector config '
            f'(missing {result.missing_keys[:3]}, unexpected {result.unexpected_keys[:3]}, '
            f'{len(result.missing_keys)} + {len(result.unexpected_keys)} in all)')


def sample_boxes(samples: Sequence[BaseDataElement]) -> List[torch.Tensor]:
    """The ``(K, 4)`` xyxy ``gt_instances`` boxes of each data sample, as tensors."""
    boxes = []
    for sample in samples:
        bboxes = sample.gt_instances.bboxes
        boxes.append(bboxes.tensor if hasattr(bboxes, 'tensor') else bboxes)
    return boxes


@MODELS.register_module()
class DetectorGAN(BaseModel):
    """Inserter/remover CycleGAN with a detector in the loop.

    Modules: ``generator_x`` (G_X, inserts an object inside a box mask),
    ``generator_y`` (G_Y, removes the objects of a labelled image),
    ``disc_global_x`` (real labelled Y vs G_X(x, m)), ``disc_global_y`` (real
    clean X vs G_Y(y, m_y)), ``disc_local_x`` (real object crops vs inserted
    crops) and ``detector`` (any mmdet detector).

    Per training iteration (after ``train_cfg.det_warmup_iters`` detector-only
    ones): every loss term is computed first and checked for NaN/Inf, then the
    generators, the discriminators (``train_cfg.disc_steps`` times) and the
    detector step in turn. The generator loss (``w`` = ``loss_weights``) is::

        L_G = w.adv_global * (GAN(D_gx(G_X(x,m))) + GAN(D_gy(G_Y(y,m_y))))
            + w.adv_local * GAN(D_lx(crops of G_X(x,m)))
            + w.cycle * (|G_Y(G_X(x,m),m) - x| + |G_X(G_Y(y,m_y),m_y) - y|)
            + w.identity * (|G_X(x,m) - x| + |G_Y(y,m_y) - y|) outside the masks
            + w.det_syn * L_det(theta; G_X(x,m), boxes of m)
            + w.unroll * L_det^real(theta - inner_lr * grad L_det^syn)

    and the detector trains on the real labelled batch plus detached synthetic
    images (``train_cfg.syn_ratio`` of its batch). A zero weight skips its
    term: ``loss_weights.unroll=0`` is the one way to train without the unroll.

    ``L_det`` terms of the generator never move the detector: they run in
    train mode (batch statistics) on clones of its buffers. ``L_det^syn`` has
    one path, :meth:`detector_terms`: its value and input gradient from one
    forward and backward of the synthetic batch (the unroll's own first one
    when the unroll is on), so it costs no forward of its own.

    With ``local_crop`` set (or a generator that takes boxes, such as
    ``LocalCropInserter``), G_X and G_Y work on context windows around the
    boxes and the local discriminator judges those same windows; the global
    discriminators and the detector still see whole images.

    Two-stage training: with ``detector=None`` (stage 1) there is no detector
    at all, no detector forward, backward or optimizer group, and a
    discriminator whose adversarial weight is 0 is not trained either, so
    with ``adv_global=0`` and ``local_crop`` the step works on box windows
    only. Stage 2 (a config with a detector) starts its generators and
    discriminators from stage 1 with ``init_from``.

    The scalar settings come in validated dicts, as mmagic's ``loss_config``
    and mmdet's ``train_cfg`` (:mod:`mmdgan.models.detector_gan_cfg`): an
    unknown key or a bad value is a one-line error naming the field.

    Args:
        generator_x: Config of the inserter G_X.
        generator_y: Config of the remover G_Y.
        disc_global_x: Config of the global discriminator of domain Y-like
            images (real Y vs G_X output).
        disc_global_y: Config of the global discriminator of clean images.
        disc_local_x: Config of the local (box crop) discriminator.
        detector: Any mmdet detector config, e.g. ``dict(type='mmdet.RetinaNet',
            ...)``; its ``data_preprocessor`` gives the mean/std used by
            :meth:`gan_to_detector` and the evaluation path. ``None``: stage
            1, the GAN alone (``loss_weights.det_syn`` and
            ``loss_weights.unroll`` must be 0, and the optimizer has no
            ``detector`` group).
        gan_loss: Config of the GAN loss (``GANLoss``).
        loss_weights: The lambdas ``adv_global``, ``adv_local``, ``cycle``,
            ``identity``, ``det_syn`` and ``unroll``; missing keys take
            :data:`~mmdgan.models.detector_gan_cfg.LOSS_WEIGHTS`. A zero
            weight skips the term.
        unroll: ``dict(mode='exact'|'finite_diff', inner_lr, fd_eps)``: how
            the unrolled term is computed; the inner step uses the synthetic
            batch only, so the real batch that scores theta' is independent
            of it.
        train_cfg: ``dict(disc_steps=1, det_warmup_iters=0, det_ramp_iters=0,
            syn_ratio=0.5, pool_size=0)``: discriminator updates per
            iteration; iterations in which only the detector trains (on real
            images); GAN iterations over which ``det_syn`` and ``unroll`` are
            ramped in linearly after the warm-up (0: in full from the start);
            the share of synthetic images in the detector's batch, in
            ``[0, 1)`` (``0.5`` adds one synthetic image per real one); fakes
            kept per discriminator in an :class:`ImagePool` (global fakes of
            both domains and local fake crops), 0 for the current batch only.
        local_crop: ``None`` (full-image generators) or the settings of the
            ``LocalCropInserter`` both generators are wrapped in, e.g.
            ``dict(crop_size=64, context=3.0, min_window=16)``.
        inserter_ema: ``None``, or ``dict(momentum, begin_iter=0)`` to keep an
            exponential moving average of G_X's weights, ``ema += momentum *
            (w - ema)`` after every generator step (a copy before
            ``begin_iter``). The average (``generator_x_ema``) is the inserter
            that the hooks, :meth:`insert_objects`, synthesis and export use:
            it smooths the step-to-step swings of adversarial training. Saved
            in checkpoints, so resume stays exact. Not mmengine's
            ``ExponentialMovingAverage``, though its update is the same
            ``lerp_``: that class copies at its first update instead of
            averaging (measured on the demo config's G_X, 10 updates at
            momentum 0.25 after random weight steps of 0.01: weights up to
            2.5e-3 apart, the largest weight being 0.18), leaves integer
            buffers behind after it, and wraps the copy as ``.module`` with a
            ``steps`` buffer, which renames every ``generator_x_ema.*`` key of
            the checkpoints that stage 2, synthesis and export read.
        disc_augment: ``None`` or the config of a differentiable
            augmentation (``DiffAugment``) applied to real and fake inputs
            alike before every discriminator, in the discriminators' and the
            generators' losses.
        r1: ``None`` or the config of an ``R1Penalty`` on the real inputs of
            every trained discriminator (logged as ``loss_d_r1_*``).
        target_label: Class index of the inserted boxes; the dataset labels
            them (``target_class``) and a mismatch raises. ``None``: boxes of
            every class (several classes, drawn with Y's frequencies); the
            generators and the local discriminator are then class-conditional
            when built with ``num_classes`` > 1.
        detector_checkpoint: A trained detector to start the in-loop detector
            from (e.g. the real-only detector of the same data and seed), so
            that ``L_det^syn`` and the unroll come from a detector that
            already detects. Loaded into ``detector`` only, after every other
            initialisation (it overrides the backbone's ImageNet weights).
            Either a plain mmdet checkpoint of the same detector config or a
            DetectorGAN checkpoint (its ``detector.`` weights are taken).
        init_from: A DetectorGAN checkpoint (e.g. stage 1's ``iter_N.pth``)
            to start the generators and discriminators from
            (:func:`mmdgan.models.stage_init.load_gan_modules`); their
            optimizer states follow once the runner has built the optimizers
            (``InitFromOptimizerHook``). A checkpoint that does not fit the
            config is refused.
        data_preprocessor: Config of the unpaired preprocessor.
        init_cfg: mmengine initialisation config.
    """

    def __init__(self,
                 generator_x: dict,
                 generator_y: dict,
                 disc_global_x: dict,
                 disc_global_y: dict,
                 disc_local_x: dict,
                 detector: Optional[dict],
                 gan_loss: dict = dict(type='GANLoss', gan_type='lsgan'),
                 loss_weights: Optional[dict] = None,
                 unroll: Optional[dict] = None,
                 train_cfg: Optional[dict] = None,
                 local_crop: Optional[dict] = None,
                 inserter_ema: Optional[dict] = None,
                 disc_augment: Optional[dict] = None,
                 r1: Optional[dict] = None,
                 target_label: Optional[int] = 0,
                 detector_checkpoint: Optional[str] = None,
                 init_from: Optional[str] = None,
                 data_preprocessor: Optional[dict] = dict(type='UnpairedDataPreprocessor'),
                 init_cfg: Optional[dict] = None) -> None:
        super().__init__(data_preprocessor=data_preprocessor, init_cfg=init_cfg)
        self.loss_weights = check_loss_weights(loss_weights)
        self.unroll_cfg = check_unroll(unroll)
        train = check_train_cfg(train_cfg)
        self.disc_steps, self.syn_ratio = train['disc_steps'], train['syn_ratio']
        self.det_warmup_iters, self.det_ramp_iters = (train['det_warmup_iters'],
                                                      train['det_ramp_iters'])
        self.pool_size = train['pool_size']
        self.target_label = None if target_label is None else int(target_label)
        self.detector_checkpoint = detector_checkpoint
        self.init_from = init_from
        if detector is None:
            self._check_stage1()

        from mmdgan.models.generators import with_local_crop
        self.generator_x = MODELS.build(with_local_crop(generator_x, local_crop))
        self.generator_y = MODELS.build(with_local_crop(generator_y, local_crop))
        self.disc_global_x = MODELS.build(disc_global_x)
        self.disc_global_y = MODELS.build(disc_global_y)
        self.disc_local_x = MODELS.build(disc_local_x)
        self.detector = None if detector is None else MODELS.build(detector)
        self.gan_loss = MODELS.build(gan_loss)
        # Stateless modules: checkpoints of runs without them keep their keys.
        self.disc_augment = None if disc_augment is None else MODELS.build(disc_augment)
        self.r1 = None if r1 is None else MODELS.build(r1)
        if self.pool_size:
            # Only with a pool: checkpoints of pool-less runs keep their keys.
            from mmdgan.models.layers import ImagePool
            self.pools = nn.ModuleDict({
                name: ImagePool(self.pool_size, seed=i)
                for i, name in enumerate(OPTIM_GROUPS['discriminators'])})
        self.inserter_ema = check_inserter_ema(inserter_ema)
        if self.inserter_ema is not None:
            # Frozen: no optimizer group holds it and DDP leaves it unwrapped.
            self.generator_x_ema = copy.deepcopy(self.generator_x).requires_grad_(False)
            # init_weights copies G_X into it instead of drawing it: drawing would use up
            # random numbers and change the training run against one without the average.
            self.generator_x_ema.is_init = True
        if self.unroll_active and self.unroll_cfg['mode'] == 'exact':
            from mmdgan.models.layers import make_twice_differentiable
            make_twice_differentiable(self.detector)
        # Persistent, so that a resumed run knows whether warm-up is over.
        self.register_buffer('iteration', torch.zeros((), dtype=torch.long))

    def init_weights(self) -> None:
        """Initialise every module, then load ``init_from`` and
        ``detector_checkpoint`` if set."""
        super().init_weights()
        if self.inserter_ema is not None:
            self.generator_x_ema.load_state_dict(unwrap(self.generator_x).state_dict())
        if self.init_from:
            from mmdgan.models.stage_init import load_gan_modules
            load_gan_modules(self, self.init_from)
        if self.detector_checkpoint:
            load_detector_checkpoint(self.det, self.detector_checkpoint)

    def _check_stage1(self) -> None:
        """Refuse settings that need a detector when ``detector`` is None."""
        needs = []
        if self.loss_weights['det_syn'] > 0:
            needs.append('loss_weights.det_syn > 0')
        if self.unroll_active:
            needs.append('loss_weights.unroll > 0')
        if self.det_warmup_iters:
            needs.append('train_cfg.det_warmup_iters > 0')
        if self.detector_checkpoint:
            needs.append('detector_checkpoint')
        if needs:
            raise ValueError(f'model.detector is None (stage 1, the GAN alone) but '
                             f'{", ".join(needs)} needs one: set them to 0 / None')

    @property
    def optim_groups(self) -> Dict[str, Tuple[str, ...]]:
        """The optimizer groups this model trains (no ``detector`` in stage 1)."""
        return {k: v for k, v in OPTIM_GROUPS.items()
                if k != 'detector' or self.detector is not None}

    def det_scale(self, iteration: int) -> float:
        """Factor of the detector terms at ``iteration`` (``train_cfg.det_ramp_iters``)."""
        if not self.det_ramp_iters:
            return 1.0
        return min(1.0, (iteration - self.det_warmup_iters + 1) / self.det_ramp_iters)

    def judge(self, disc: nn.Module, imgs: torch.Tensor) -> torch.Tensor:
        """``disc``'s scores of ``imgs``, through ``disc_augment`` when set."""
        if self.disc_augment is not None:
            imgs = self.disc_augment(imgs)
        return disc(imgs)

    @torch.no_grad()
    def _update_inserter_ema(self, iteration: int) -> None:
        source = unwrap(self.generator_x).state_dict()
        momentum = 1.0 if iteration < self.inserter_ema['begin_iter'] \
            else self.inserter_ema['momentum']
        for name, avg in self.generator_x_ema.state_dict().items():
            if avg.is_floating_point():
                avg.lerp_(source[name], momentum)
            else:
                avg.copy_(source[name])

    @property
    def inserter(self) -> nn.Module:
        """The G_X that inserts outside training: its moving average when kept."""
        if self.inserter_ema is not None:
            return self.generator_x_ema
        return unwrap(self.generator_x)

    @property
    def unroll_active(self) -> bool:
        """Whether the generator loss includes the unrolled real-data term
        (``loss_weights.unroll > 0``: the one switch of the unroll)."""
        return self.loss_weights['unroll'] > 0

    # ------------------------------------------------------- detector inputs
    @property
    def det(self) -> nn.Module:
        """The detector itself, even when DDP wraps it (``autograd.grad`` and
        ``functional_call`` must not go through the wrapper)."""
        return unwrap(self.detector)

    def _det_norm(self) -> Tuple[Optional[torch.Tensor], Optional[torch.Tensor], bool, int]:
        pre = self.det.data_preprocessor
        if getattr(pre, '_enable_normalize', False):
            mean, std = pre.mean, pre.std
        else:
            mean = std = None
        return (mean, std, bool(getattr(pre, '_channel_conversion', False)),
                int(getattr(pre, 'pad_size_divisor', 1)))

    def gan_to_detector(self, img: torch.Tensor) -> torch.Tensor:
        """Convert GAN-range images to the detector's normalised input.

        Differentiable (no rounding, no uint8): ``[-1, 1]`` -> ``[0, 255]`` ->
        channel repeat to the detector's channels -> the detector's own
        channel flip and mean/std.

        Args:
            img: ``(B, C, H, W)`` in ``[-1, 1]``.

        Returns:
            ``(B, C', H, W)`` float tensor as the detector's data
            preprocessor would produce (before padding).
        """
        mean, std, flip, _ = self._det_norm()
        channels = mean.shape[0] if mean is not None else img.shape[1]
        if img.shape[1] == 1 and channels == 3:
            img = img.expand(-1, 3, -1, -1)
        elif img.shape[1] != channels:
            raise ValueError(f'gan_to_detector: images have {img.shape[1]} channels, the '
                             f"detector's data_preprocessor expects {channels}")
        if flip and img.shape[1] == 3:
            # GAN images keep the loader's (BGR) order; mmdet flips to RGB.
            img = img.flip(1)
        pixels = img * 127.5 + 127.5
        if mean is None:
            return pixels
        return (pixels - mean.to(pixels.dtype)) / std.to(pixels.dtype)

    def to_detector_batch(self, imgs: Sequence[torch.Tensor],
                          samples: Sequence[BaseDataElement]
                          ) -> Tuple[torch.Tensor, List[BaseDataElement]]:
        """Concatenate GAN-range batches into one padded detector batch.

        Pads (with 0, as mmdet pads normalised images) to a common size that
        is a multiple of the detector's ``pad_size_divisor`` and sets
        ``batch_input_shape`` on every sample.

        Args:
            imgs: GAN-range ``(B_i, C, H_i, W_i)`` tensors.
            samples: The data samples of all images, in order.

        Returns:
            The detector input and the list of samples.
        """
        _, _, _, divisor = self._det_norm()
        converted = [self.gan_to_detector(img) for img in imgs]
        height = max(t.shape[-2] for t in converted)
        width = max(t.shape[-1] for t in converted)
        height = int(math.ceil(height / divisor)) * divisor
        width = int(math.ceil(width / divisor)) * divisor
        padded = [F.pad(t, (0, width - t.shape[-1], 0, height - t.shape[-2]))
                  for t in converted]
        batch = torch.cat(padded, dim=0)
        samples = list(samples)
        if len(samples) != batch.shape[0]:
            raise ValueError(f'{len(samples)} data samples for {batch.shape[0]} images')
        for sample in samples:
            sample.set_metainfo(dict(batch_input_shape=(height, width)))
        if getattr(self.det.data_preprocessor, 'boxtype2tensor', False):
            # As DetDataPreprocessor does: mmdet heads mix gt boxes with
            # tensor proposals (Faster R-CNN's sampler concatenates them).
            samplelist_boxtype2tensor(samples)
        return batch, samples

    def detector_loss(self, detector: ModuleOrWrapper, inputs: torch.Tensor,
                      samples: List[BaseDataElement]) -> torch.Tensor:
        """Total mmdet training loss (sum of the ``loss*`` terms)."""
        losses = detector(inputs, samples, mode='loss')
        total, _ = self.parse_losses(losses)
        return total

    # ---------------------------------------------------------------- helpers
    @staticmethod
    def _masked_l1(a: torch.Tensor, b: torch.Tensor, weight: torch.Tensor) -> torch.Tensor:
        weight = weight.expand_as(a)
        return ((a - b).abs() * weight).sum() / weight.sum().clamp(min=1.0)

    @property
    def local_generation(self) -> bool:
        """Whether the generators work on box windows (``LocalCropInserter``)."""
        return bool(getattr(unwrap(self.generator_x), 'uses_boxes', False))

    def local_crops(self, img: torch.Tensor,
                    samples: Sequence[BaseDataElement]) -> Optional[torch.Tensor]:
        """What the local discriminator judges: the generator's windows in
        local generation, else the discriminator's own box crops; ``None``
        when the batch has no box."""
        boxes = sample_boxes(samples)
        if sum(len(b) for b in boxes) == 0:
            return None
        disc = unwrap(self.disc_local_x)
        if self.local_generation:
            crops = unwrap(self.generator_x).window_crops(img, boxes)
        else:
            crops = disc.crop(img, boxes)
        if getattr(disc, 'num_classes', 1) > 1:
            # The class rides along as one-hot planes (pooled fakes keep it).
            crops = disc.condition(crops, torch.cat([s.gt_instances.labels for s in samples]))
        return crops

    @staticmethod
    def _run_generator(generator: ModuleOrWrapper, img: torch.Tensor, mask: torch.Tensor,
                       samples: Sequence[BaseDataElement]) -> torch.Tensor:
        num_classes = getattr(unwrap(generator), 'num_classes', 1)
        if num_classes > 1 and mask.shape[1] == 1:
            # Class-conditional generator: one mask channel per class.
            from mmdgan.structures import class_masks
            mask = class_masks(mask, sample_boxes(samples),
                               [s.gt_instances.labels for s in samples], num_classes)
        if getattr(unwrap(generator), 'uses_boxes', False):
            return generator(img, mask, sample_boxes(samples))
        return generator(img, mask)

    @property
    def remover_trained(self) -> bool:
        """Whether a generator term trains G_Y: the global adversarial terms or
        the cycle. Without them (a stage 1 with ``cycle=0``) G_Y does not run
        in training and its identity term is left out: it would only hold an
        untrained remover at the identity, at the cost of a generator pass."""
        return self.loss_weights['adv_global'] > 0 or self.loss_weights['cycle'] > 0

    def _generate(self, clean: dict, labelled: dict, cycle: bool) -> Dict[str, torch.Tensor]:
        x, m, x_samples = clean['inputs'], clean['masks'], clean['data_samples']
        y, m_y, y_samples = labelled['inputs'], labelled['masks'], labelled['data_samples']
        run = self._run_generator
        out = dict(fake_y=run(self.generator_x, x, m, x_samples), fake_x=None)
        if not self.remover_trained:
            return out
        out['fake_x'] = run(self.generator_y, y, m_y, y_samples)
        if cycle:
            out['rec_x'] = run(self.generator_y, out['fake_y'], m, x_samples)
            out['rec_y'] = run(self.generator_x, out['fake_x'], m_y, y_samples)
        return out

    # ------------------------------------------------------------- the losses
    def detector_terms(self, syn_inputs: torch.Tensor, syn_samples: List[BaseDataElement],
                       labelled: dict, syn_grad: bool = True):
        """The generator's detector terms on a synthetic detector batch, the one path
        of both.

        With the unroll on (``loss_weights.unroll > 0``) :func:`~mmdgan.models.unroll.unroll`
        scores the virtual step on the real ``labelled`` batch, in fp32 even under AMP
        (finite differences move each weight by ~1e-6, below half precision), and
        ``L_det^syn`` comes from its first forward and backward; without it,
        :func:`~mmdgan.models.unroll.synthetic_term` takes that same forward and
        backward alone. Neither moves the detector.

        Returns:
            :class:`~mmdgan.models.unroll.UnrollResult`; ``loss`` and ``surrogate``
            are ``None`` without the unroll, ``syn_loss`` and ``syn_surrogate``
            without ``syn_grad``.
        """
        from mmdgan.models.unroll import UnrollResult, synthetic_term, unroll
        if not self.unroll_active:
            syn_loss, syn_surrogate = synthetic_term(self.det, syn_inputs, syn_samples)
            return UnrollResult(None, None, syn_loss, syn_surrogate)
        real_inputs, real_samples = self.to_detector_batch([labelled['inputs']],
                                                           labelled['data_samples'])
        with torch.autocast(device_type=syn_inputs.device.type, enabled=False):
            return unroll(self.det, syn_inputs.float(), syn_samples, real_inputs.float(),
                          real_samples, inner_lr=self.unroll_cfg['inner_lr'],
                          mode=self.unroll_cfg['mode'], fd_eps=self.unroll_cfg['fd_eps'],
                          syn_grad=syn_grad)

    def generator_losses(self, clean: dict, labelled: dict
                         ) -> Tuple[Dict[str, torch.Tensor], torch.Tensor, dict]:
        """Generator forward and every generator loss term.

        Returns:
            ``(terms, total, images)``: the weighted terms by log name, the
            total generator loss (with the unroll surrogate instead of the
            unroll loss, so that its gradient is the hypergradient) and the
            generated images.
        """
        w = self.loss_weights
        x, m, x_samples = clean['inputs'], clean['masks'], clean['data_samples']
        y, m_y = labelled['inputs'], labelled['masks']
        imgs = self._generate(clean, labelled, cycle=w['cycle'] > 0)
        fake_y, fake_x = imgs['fake_y'], imgs['fake_x']
        terms: Dict[str, torch.Tensor] = {}
        discs = [unwrap(getattr(self, n)) for n in OPTIM_GROUPS['discriminators']]
        with frozen(*discs):
            if w['adv_global'] > 0:
                terms['loss_g_adv_global_x'] = w['adv_global'] * self.gan_loss(
                    self.judge(discs[0], fake_y), True, is_disc=False)
                terms['loss_g_adv_global_y'] = w['adv_global'] * self.gan_loss(
                    self.judge(discs[1], fake_x), True, is_disc=False)
            if w['adv_local'] > 0:
                crops = self.local_crops(fake_y, x_samples)
                if crops is not None:
                    terms['loss_g_adv_local_x'] = w['adv_local'] * self.gan_loss(
                        self.judge(discs[2], crops), True, is_disc=False)
        if w['cycle'] > 0:
            terms['loss_g_cycle_x'] = w['cycle'] * F.l1_loss(imgs['rec_x'], x)
            terms['loss_g_cycle_y'] = w['cycle'] * F.l1_loss(imgs['rec_y'], y)
        if w['identity'] > 0:
            terms['loss_g_identity_x'] = w['identity'] * self._masked_l1(fake_y, x, 1 - m)
            if fake_x is not None:
                terms['loss_g_identity_y'] = w['identity'] * self._masked_l1(fake_x, y,
                                                                             1 - m_y)

        total = sum(terms.values()) if terms else fake_y.sum() * 0
        if self.detector is None:
            return terms, total, imgs
        det_syn_weight, unroll_weight = w['det_syn'], w['unroll']
        if self.det_ramp_iters:
            scale = self.det_scale(int(self.iteration))
            det_syn_weight, unroll_weight = scale * det_syn_weight, scale * unroll_weight
        if w['det_syn'] == 0 and not self.unroll_active:
            return terms, total, imgs
        syn_det, syn_samples = self.to_detector_batch([fake_y], x_samples)
        result = self.detector_terms(syn_det, syn_samples, labelled, syn_grad=w['det_syn'] > 0)
        if w['det_syn'] > 0:
            terms['loss_det_syn'] = det_syn_weight * result.syn_surrogate
            total = total + terms['loss_det_syn']
        if self.unroll_active:
            terms['loss_unroll'] = unroll_weight * result.loss.detach()
            check_finite({'loss_unroll (surrogate)': result.surrogate}, int(self.iteration))
            total = total + unroll_weight * result.surrogate
        return terms, total, imgs

    def discriminator_fakes(self, clean: dict, fake_y: torch.Tensor,
                            fake_x: Optional[torch.Tensor],
                            pooled: bool = False) -> Dict[str, Optional[torch.Tensor]]:
        """Detached fakes of each discriminator (``fake_local``: inserted
        crops, ``None`` without boxes), drawn through the pools when
        ``pooled`` and the model has them."""
        fakes = dict(fake_y=fake_y.detach(), fake_local=None,
                     fake_x=None if fake_x is None else fake_x.detach())
        if self.loss_weights['adv_local'] > 0:
            crops = self.local_crops(fakes['fake_y'], clean['data_samples'])
            fakes['fake_local'] = None if crops is None else crops.detach()
        if self.loss_weights['adv_global'] == 0:
            # No generator term uses the global discriminators: they are not trained.
            fakes['fake_y'] = fakes['fake_x'] = None
        if pooled and self.pool_size:
            owners = dict(fake_y='disc_global_x', fake_x='disc_global_y',
                          fake_local='disc_local_x')
            for key, name in owners.items():
                if fakes[key] is not None:
                    fakes[key] = self.pools[name](fakes[key])
        return fakes

    def discriminator_losses(self, clean: dict, labelled: dict, fake_y: Optional[torch.Tensor],
                             fake_x: Optional[torch.Tensor],
                             fake_local: Optional[torch.Tensor] = None
                             ) -> Dict[str, torch.Tensor]:
        """Discriminator loss terms (fakes are detached here).

        ``fake_local`` are the fake crops of the local discriminator (e.g.
        from its pool); ``None`` takes them from ``fake_y``. The global fakes
        may be ``None`` when ``adv_global`` is 0 (those discriminators are
        not trained). With ``r1``, its penalty on each discriminator's real
        inputs is added at the iterations it is due.
        """
        x, y = clean['inputs'], labelled['inputs']
        judge = self.judge
        # (name, discriminator, real, fake) of every discriminator a generator term uses.
        pairs = []
        if self.loss_weights['adv_global'] > 0:
            pairs += [('global_x', self.disc_global_x, y, fake_y.detach()),
                      ('global_y', self.disc_global_y, x, fake_x.detach())]
        if self.loss_weights['adv_local'] > 0:
            if fake_local is None and fake_y is not None:
                fake_local = self.local_crops(fake_y.detach(), clean['data_samples'])
            real = self.local_crops(y, labelled['data_samples'])
            if real is not None and fake_local is not None:
                pairs.append(('local_x', self.disc_local_x, real, fake_local.detach()))
        terms = {}
        for name, disc, real, fake in pairs:
            terms[f'loss_d_{name}'] = 0.5 * (
                self.gan_loss(judge(disc, real), True, is_disc=True)
                + self.gan_loss(judge(disc, fake), False, is_disc=True))
        if self.r1 is not None and self.r1.due(int(self.iteration)):
            for name, disc, real, _ in pairs:
                terms[f'loss_d_r1_{name}'] = self.r1(lambda t, d=disc: judge(d, t), real)
        return terms

    def _syn_count(self, num_real: int, num_clean: int) -> int:
        return min(num_clean, int(round(num_real * self.syn_ratio / (1 - self.syn_ratio))))

    def detector_batch(self, clean: dict, labelled: dict,
                       fake_y: Optional[torch.Tensor]
                       ) -> Tuple[torch.Tensor, List[BaseDataElement]]:
        """Real labelled images plus ``syn_ratio`` detached synthetic ones."""
        y, y_samples = labelled['inputs'], list(labelled['data_samples'])
        num_syn = 0 if fake_y is None else self._syn_count(len(y), len(fake_y))
        if num_syn == 0:
            return self.to_detector_batch([y], y_samples)
        syn_samples = list(clean['data_samples'])[:num_syn]
        return self.to_detector_batch([y, fake_y[:num_syn].detach()],
                                      y_samples + syn_samples)

    def _check_target_label(self, samples: Sequence[BaseDataElement]) -> None:
        if self.target_label is None:
            return
        for sample in samples:
            labels = sample.gt_instances.labels
            if len(labels) and not bool((labels == self.target_label).all()):
                raise ValueError(
                    f'clean sample {sample.metainfo.get("img_path", "?")}: insertion boxes '
                    f'carry labels {labels.unique().tolist()}, but model.target_label is '
                    f'{self.target_label}; make it match the dataset\'s target_class')

    # ------------------------------------------------------------- train step
    def train_step(self, data: Union[dict, tuple, list],
                   optim_wrapper: OptimWrapperDict) -> Dict[str, torch.Tensor]:
        """One DetectorGAN iteration; see the class docstring for the order.

        Every loss term is computed and checked for NaN/Inf before the first
        optimizer step, so a bad term leaves all weights as they were (with
        ``disc_steps > 1`` the extra discriminator losses are checked before
        their own steps).

        Args:
            data: A batch from the unpaired dataloader.
            optim_wrapper: ``OptimWrapperDict`` with keys ``generators``,
                ``discriminators`` and (unless ``detector`` is None)
                ``detector``.

        Returns:
            Every loss term by name (detached), for logging.
        """
        missing = set(self.optim_groups) - set(optim_wrapper.keys())
        if missing:
            raise KeyError(f'optim_wrapper lacks the group(s) {sorted(missing)}; build it '
                           'with DetectorGANOptimWrapperConstructor')
        data = self.data_preprocessor(data, True)
        clean, labelled = data['clean'], data['labelled']
        self._check_target_label(clean['data_samples'])
        iteration = int(self.iteration)
        warmup = iteration < self.det_warmup_iters
        g_ow, d_ow = optim_wrapper['generators'], optim_wrapper['discriminators']
        det_ow = optim_wrapper['detector'] if self.detector is not None else None

        g_terms: Dict[str, torch.Tensor] = {}
        d_terms: Dict[str, torch.Tensor] = {}
        imgs: dict = {}
        if not warmup:
            with g_ow.optim_context(self.generator_x):
                g_terms, g_total, imgs = self.generator_losses(clean, labelled)
            # Drawn once per iteration: extra discriminator steps reuse them.
            fakes = self.discriminator_fakes(clean, imgs['fake_y'], imgs['fake_x'], pooled=True)
            with d_ow.optim_context(self.disc_global_x):
                d_terms = self.discriminator_losses(clean, labelled, **fakes)
        det_terms: Dict[str, torch.Tensor] = {}
        if det_ow is not None:
            with det_ow.optim_context(self.detector):
                det_inputs, det_samples = self.detector_batch(clean, labelled,
                                                              imgs.get('fake_y'))
                det_terms['loss_det'] = self.detector_loss(self.detector, det_inputs,
                                                           det_samples)
        check_finite({**g_terms, **d_terms, **det_terms}, iteration)

        log = {**g_terms, **d_terms, **det_terms}
        if not warmup:
            log['loss_g'] = g_total
            g_ow.update_params(g_total)
            if self.inserter_ema is not None:
                self._update_inserter_ema(iteration)
            if d_terms:
                d_ow.update_params(sum(d_terms.values()))
            for _ in range(self.disc_steps - 1 if d_terms else 0):
                with d_ow.optim_context(self.disc_global_x):
                    d_terms = self.discriminator_losses(clean, labelled, **fakes)
                check_finite(d_terms, iteration, note='raised before this extra '
                             'discriminator step (the generators have stepped)')
                d_ow.update_params(sum(d_terms.values()))
        if det_ow is not None:
            # The unroll works on copies of the detector's weights, but a
            # surrogate that reached the real ones must not leak into this step.
            det_ow.zero_grad()
            det_ow.update_params(det_terms['loss_det'])
        self.iteration += 1
        return {k: v.detach() for k, v in log.items()}

    # --------------------------------------------------------------- predict
    def _detector_data(self, data: dict) -> dict:
        """Run a standard mmdet batch through the detector's own preprocessor,
        repeating grayscale images to the detector's channels first."""
        mean, _, _, _ = self._det_norm()
        channels = mean.shape[0] if mean is not None else None
        inputs = data['inputs']
        if channels is not None:
            fixed = []
            for img in inputs:
                if img.shape[0] == 1 and channels == 3:
                    img = img.expand(3, -1, -1)
                elif img.shape[0] != channels:
                    raise ValueError(f'image has {img.shape[0]} channels, the detector '
                                     f'expects {channels}')
                fixed.append(img)
            inputs = fixed if isinstance(inputs, list) else torch.stack(fixed)
        return self.det.data_preprocessor({**data, 'inputs': inputs}, False)

    def val_step(self, data: Union[dict, tuple, list]) -> list:
        """Detector predictions on a standard mmdet (CocoDataset) batch."""
        if self.detector is None:
            raise ValueError('model.detector is None (stage 1): there is no detector to '
                             'validate or test; set val_cfg/test_cfg (and their dataloaders '
                             'and evaluators) to None')
        return self(**self._detector_data(data), mode='predict')

    def test_step(self, data: Union[dict, tuple, list]) -> list:
        """Same as :meth:`val_step`."""
        return self.val_step(data)

    def forward(self, inputs: torch.Tensor, data_samples: Optional[list] = None,
                mode: str = 'tensor'):
        """Delegate to the detector; ``inputs`` are in the detector's space.

        ``mode='predict'`` returns ``DetDataSample`` predictions (what
        CocoMetric evaluates), ``'loss'`` the detector losses and
        ``'tensor'`` its raw head outputs.
        """
        if mode == 'predict':
            return self.det.predict(inputs, data_samples)
        if mode == 'loss':
            return self.det.loss(inputs, data_samples)
        if mode == 'tensor':
            return self.det._forward(inputs, data_samples)
        raise ValueError(f"mode must be 'predict', 'loss' or 'tensor', got {mode!r}")

    @torch.no_grad()
    def sample_images(self, data: dict) -> Dict[str, torch.Tensor]:
        """GAN-range images of one unpaired batch, for visualisation.

        Returns:
            ``clean``, ``mask``, ``inserted`` (G_X(x, m)), ``labelled``,
            ``labelled_mask`` and ``removed`` (G_Y(y, m_y)).
        """
        data = self.data_preprocessor(data, False)
        clean, labelled = data['clean'], data['labelled']
        run = self._run_generator
        return dict(
            clean=clean['inputs'], mask=clean['masks'],
            inserted=run(self.inserter, clean['inputs'], clean['masks'],
                         clean['data_samples']),
            labelled=labelled['inputs'], labelled_mask=labelled['masks'],
            removed=run(unwrap(self.generator_y), labelled['inputs'], labelled['masks'],
                        labelled['data_samples']))

    @torch.no_grad()
    def insert_objects(self, data: dict,
                       averaged: bool = True) -> Tuple[torch.Tensor, List[torch.Tensor]]:
        """G_X on the clean half of an unpaired batch, without G_Y.

        Args:
            data: An unpaired batch.
            averaged: Use :attr:`inserter` (the moving average where kept);
                ``False`` runs the trained G_X itself.

        Returns:
            The GAN-range inserted images and, per image, the boxes it
            inserted into (in the same pixel frame).
        """
        clean = self.data_preprocessor(data, False)['clean']
        generator = self.inserter if averaged else unwrap(self.generator_x)
        inserted = self._run_generator(generator, clean['inputs'], clean['masks'],
                                       clean['data_samples'])
        return inserted, sample_boxes(clean['data_samples'])
