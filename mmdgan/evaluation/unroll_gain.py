"""What the unrolled step rewards, measured on finished synthetic sets at one detector.

DetectorGAN's generator is trained to lower ``L_real(theta')``, the detector's
loss on real labelled images after one virtual SGD step on its synthetic
images (:func:`mmdgan.models.unroll.unroll`). For a synthetic set ``S`` and a
fixed detector ``theta`` this module measures that quantity directly:

    gain(S_b) = L_real(theta) - L_real(theta - alpha * grad L_syn(theta; S_b))

per synthetic batch ``S_b``, with ``L_real`` averaged over a fixed probe of
real labelled batches. Positive: one step on ``S_b`` helps the detector on real
objects. Sets made from the same clean images and boxes (the synthetic sets of
one cross-validation fold) are compared batch by batch, as paired differences.
Two controls frame the numbers: ``clean``, the same boxes on the untouched
clean images (tissue labelled as an object: what an inserter that changes
nothing would give) and ``real``, real labelled images outside the probe
(what more real data gives).
"""
import logging
from pathlib import Path
from typing import Dict, List, Optional, Sequence, Tuple

import numpy as np
import torch
import torch.nn as nn
from mmengine.config import Config
from mmengine.dataset import Compose, pseudo_collate
from PIL import Image

from mmdgan.evaluation.paired_stats import paired_summary
from mmdgan.fileio import ImageRecord, coco_records, load_coco
from mmdgan.models.unroll import functional_loss, virtual_step_losses

#: ``(inputs, data_samples)`` of one detector batch, preprocessed.
Batch = Tuple[torch.Tensor, list]


def deterministic_pipeline(pipeline: Sequence[dict]) -> List[dict]:
    """A training pipeline without its random transforms (``Random*``), so that
    every source and every call sees the same images and boxes."""
    kept = [t for t in pipeline if not str(t['type']).split('.')[-1].startswith('Random')]
    if not any(str(t['type']).endswith('LoadAnnotations') for t in kept):
        raise ValueError('the training pipeline has no LoadAnnotations: it yields no boxes '
                         'to compute a loss with')
    return kept


def training_pipeline(cfg: Config) -> List[dict]:
    """The detector config's training pipeline (of the real set, if concatenated)."""
    dataset = cfg.train_dataloader.dataset
    while 'pipeline' not in dataset and 'datasets' in dataset:
        dataset = dataset.datasets[0]
    if 'pipeline' not in dataset:
        raise ValueError('the detector config has no train_dataloader.dataset.pipeline')
    return list(dataset.pipeline)


def class_labels(cfg: Config) -> Dict[str, int]:
    """Class name -> detector label, from the config's ``metainfo``."""
    metainfo = cfg.get('metainfo') or cfg.train_dataloader.dataset.get('metainfo')
    if not metainfo or 'classes' not in metainfo:
        raise ValueError('the detector config names no classes (metainfo.classes)')
    return {name: i for i, name in enumerate(metainfo['classes'])}


def load_detection_images(ann_file: Path, labels: Dict[str, int],
                          image_paths: Optional[Dict[str, str]] = None
                          ) -> List[Tuple[str, ImageRecord]]:
    """``(image path, record)`` of every image with boxes, boxes in that file's frame.

    Args:
        ann_file: COCO file; ``file_name`` relative to its folder (or absolute).
        labels: Class name -> label; every category of the file must be one.
        image_paths: Optional map from ``file_name`` to another image to put
            the same boxes on (the clean image an inserted one was made from),
            whose boxes are rescaled to its size.
    """
    coco = load_coco(ann_file)
    names = {c['id']: c['name'] for c in coco['categories']}
    unknown = sorted(set(names.values()) - set(labels))
    if unknown:
        raise ValueError(f'{ann_file}: categories {unknown} are not classes of the detector '
                         f'{sorted(labels)}')
    out = []
    for record in coco_records(coco, ann_file):
        if not record.boxes:
            continue
        path = Path(ann_file).parent / record.file_name
        scale = 1.0
        if image_paths is not None:
            path = Path(image_paths[record.file_name])
            with Image.open(path) as img:
                scale = img.width / record.width
        boxes = [(x1 * scale, y1 * scale, x2 * scale, y2 * scale, labels[names[cat]])
                 for x1, y1, x2, y2, cat in record.boxes]
        out.append((str(path), ImageRecord(record.file_name, round(record.width * scale),
                                           round(record.height * scale), boxes)))
    if not out:
        raise ValueError(f'{ann_file}: no image with boxes')
    return out


def detector_batches(detector: nn.Module, images: Sequence[Tuple[str, ImageRecord]],
                     pipeline: Sequence[dict], batch_size: int) -> List[Batch]:
    """Consecutive batches of ``images`` through ``pipeline`` and the detector's
    data preprocessor (a last partial batch is dropped, so batches are comparable)."""
    transform = Compose(list(pipeline))
    batches = []
    for start in range(0, len(images) - batch_size + 1, batch_size):
        items = []
        for path, record in images[start:start + batch_size]:
            instances = [dict(bbox=list(box[:4]), bbox_label=box[4], ignore_flag=0)
                         for box in record.boxes]
            try:
                items.append(transform(dict(img_path=path, img_id=start + len(items),
                                            instances=instances)))
            except (AssertionError, OSError) as e:  # mmcv asserts on an undecodable file
                raise ValueError(f'{path}: not a readable image ({e})') from None
        data = detector.data_preprocessor(pseudo_collate(items), training=True)
        batches.append((data['inputs'], data['data_samples']))
    return batches


def _summary(values: Sequence[float]) -> dict:
    v = np.asarray(values, np.float64)
    se = float(v.std(ddof=1) / np.sqrt(len(v))) if len(v) > 1 else None
    return dict(n=len(v), mean=float(v.mean()), se=se, per_batch=v.tolist())


def unroll_gain(detector: nn.Module, sources: Dict[str, List[Batch]], probe: List[Batch],
                inner_lrs: Sequence[float], paired: Sequence[str] = (), log=None) -> dict:
    """Gain of one virtual step per synthetic batch, per source and step size, at ``detector``.

    Args:
        detector: The detector (its weights and buffers are left untouched).
        sources: Name -> batches of that source.
        probe: Real labelled batches that score every step (the same for all).
        inner_lrs: Step sizes of the virtual step (the GAN config's
            ``unroll.inner_lr`` and others: the gradient is shared).
        paired: Names whose batch ``b`` holds the same images and boxes in
            every one of them: their paired differences are reported.
        log: Optional callable taking one line of progress.

    Returns:
        ``dict(probe_loss, probe_images, inner_lrs, by_lr={lr: dict(
        sources={name: dict(n, mean, se, per_batch)}, paired={'a - b':
        paired_summary of a's gains minus b's})})``, keyed by ``f'{lr:g}'``.
    """
    if not probe:
        raise ValueError('unroll_gain: the real probe holds no batch')
    with torch.no_grad():
        before = float(np.mean([functional_loss(detector, x, s).item() for x, s in probe]))
    gains: Dict[str, List[List[float]]] = {}
    for name, batches in sources.items():
        if not batches:
            raise ValueError(f'unroll_gain: source {name!r} holds no full batch')
        per_batch = [[before - float(np.mean(losses)) for losses in
                      virtual_step_losses(detector, x, s, probe, inner_lrs)]
                     for x, s in batches]
        gains[name] = [list(g) for g in zip(*per_batch)]  # per step size, per batch
        if log is not None:
            log(f'{name}: gain ' + ', '.join(f'{np.mean(g):+.5f} at {lr:g}'
                                             for lr, g in zip(inner_lrs, gains[name])))
    names = [n for n in paired if n in gains]
    by_lr = {}
    for k, lr in enumerate(inner_lrs):
        entry: dict = dict(sources={n: _summary(g[k]) for n, g in gains.items()}, paired={})
        for i, a in enumerate(names):
            for b in names[i + 1:]:
                n = min(len(gains[a][k]), len(gains[b][k]))
                entry['paired'][f'{a} - {b}'] = paired_summary(
                    np.subtract(gains[a][k][:n], gains[b][k][:n]))
        by_lr[f'{lr:g}'] = entry
    return dict(probe_loss=before, probe_images=sum(len(s) for _, s in probe),
                inner_lrs=list(inner_lrs), by_lr=by_lr)


def build_detector(cfg: Config, checkpoint: Optional[str]) -> nn.Module:
    """The detector of ``cfg`` in train mode, from ``checkpoint`` (mmdet's or a
    DetectorGAN's) or, with ``None``, from the config's initialisation."""
    from mmengine.logging import MMLogger

    from mmdgan.models.detector_gan import load_detector_checkpoint
    from mmdgan.registry import MODELS

    detector = MODELS.build(cfg.model)
    if checkpoint is None:
        # mmengine logs every initialised tensor at INFO: hundreds of lines.
        logger = MMLogger.get_current_instance()
        level = logger.level
        logger.setLevel(logging.WARNING)
        try:
            detector.init_weights()
        finally:
            logger.setLevel(level)
    else:
        load_detector_checkpoint(detector, checkpoint)
    return detector.train()


def measure_unroll_gain(cfg: Config, checkpoint: Optional[str], real: Path,
                        sets: Dict[str, Path], inner_lrs: Sequence[float], batches: int,
                        probe_batches: int, batch_size: int, clean: bool = True,
                        real_control: bool = True, clean_root: Optional[str] = None,
                        log=None) -> dict:
    """:func:`unroll_gain` of finished synthetic sets at the detector of ``cfg``.

    Args:
        cfg: Detector config (its training pipeline and classes).
        checkpoint: Detector checkpoint, ``None`` for the config's initialisation.
        real: COCO file of real labelled images: the first ``probe_batches``
            batches are the probe, the next ``batches`` the ``real`` control.
        sets: Name -> synthetic ``train.json``; the first ``batches`` batches
            of each are scored, as paired differences between sets.
        inner_lrs: Virtual step sizes.
        batches: Synthetic batches per source.
        probe_batches: Real batches that score every step.
        batch_size: Images per batch.
        clean: Add the ``clean`` control (the first set's clean sources at
            its boxes), paired with the sets.
        real_control: Add the ``real`` control.
        clean_root: Folder the recorded clean sources are relative to.
        log: Optional callable taking one line of progress.

    Returns:
        :func:`unroll_gain`'s report.

    Raises:
        ValueError: ``real`` holds too few images with boxes for the probe.
    """
    from mmdgan.evaluation.insertion_quality import synthetic_sources
    from mmdgan.utils import mmdgan_scope

    with mmdgan_scope():
        labels = class_labels(cfg)
        pipeline = deterministic_pipeline(training_pipeline(cfg))
        detector = build_detector(cfg, checkpoint)
        real_images = load_detection_images(real, labels)
        probe_images = probe_batches * batch_size
        if len(real_images) < probe_images:
            raise ValueError(f'{real}: {len(real_images)} images with boxes, the probe needs '
                             f'{probe_images} (--probe-batches x --batch-size)')
        probe = detector_batches(detector, real_images[:probe_images], pipeline, batch_size)
        wanted = batches * batch_size
        sources = {name: detector_batches(detector, load_detection_images(path, labels)[:wanted],
                                          pipeline, batch_size)
                   for name, path in sets.items()}
        paired = list(sources)
        if clean and sets:
            first = next(iter(sets.values()))
            clean_images = load_detection_images(first, labels,
                                                 synthetic_sources(first, clean_root))
            sources['clean'] = detector_batches(detector, clean_images[:wanted], pipeline,
                                                batch_size)
            paired.append('clean')
        if real_control:
            sources['real'] = detector_batches(detector, real_images[probe_images:][:wanted],
                                               pipeline, batch_size)
        return unroll_gain(detector, sources, probe, inner_lrs, paired=paired, log=log)


def format_report(report: dict) -> str:
    """:func:`unroll_gain`'s report as text: one table per step size, then the pairs."""
    lines = [f'L_real(theta) on the probe ({report["probe_images"]} images): '
             f'{report["probe_loss"]:.5f}']
    for lr, entry in report['by_lr'].items():
        lines.append(f'--- inner_lr {lr}\n{"source":<16} {"gain":>10} {"s.e.":>9} batches')
        for name, row in entry['sources'].items():
            se = f'{row["se"]:.5f}' if row['se'] is not None else '-'
            lines.append(f'{name:<16} {row["mean"]:>+10.5f} {se:>9} {row["n"]}')
        for name, d in entry['paired'].items():
            interval = ('' if d['boot_low'] is None else
                        f' [{d["boot_low"]:+.5f}, {d["boot_high"]:+.5f}] '
                        f'p={d["wilcoxon_p"]:.3f}')
            lines.append(f'paired {name}: {d["mean"]:+.5f}{interval} ({d["n"]} batches)')
    return '\n'.join(lines)
