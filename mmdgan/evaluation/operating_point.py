"""Score a detector on held-out films at an operating point fixed on its training films.

Two passes of the test loop in one process: the held-out films of the fold
(lesion films *and* normal films, so COCO AP counts the false positives on
normals) give AP50, mAP and the top-1 / top-2 localisation accuracy; the
fold's labelled *training* films fix the operating point.

**Operating point**: the highest score threshold at which the detector
finds at least ``op_sensitivity`` (default 0.8) of its own training lesions
(a lesion is found by a detection of its class with IoU >= 0.5 and a score at
or above the threshold). It is chosen on training data only, per detector, so
arms with differently calibrated scores are compared at the same training
sensitivity. At that threshold the held-out films give the detections per
normal film (false positives per normal film) and the held-out lesion
sensitivity. A detector that never reaches the target sensitivity on its
training films gets threshold 0 (every detection kept, ``op_reached`` false).
"""
import json
import os
from pathlib import Path
from typing import Dict, List, Optional, Sequence

import numpy as np

from mmdgan.evaluation.metrics.localization_accuracy import box_iou
from mmdgan.fileio import load_coco

#: Default share of training lesions the operating point must find.
OP_SENSITIVITY = 0.8


def _xyxy(bbox: Sequence[float]) -> List[float]:
    x, y, w, h = bbox
    return [x, y, x + w, y + h]


def best_hit_scores(dets: Sequence[dict], coco: dict, iou_thr: float = 0.5) -> np.ndarray:
    """Per ground-truth box: the highest score of a same-class detection with IoU >= ``iou_thr``.

    Args:
        dets: COCO result records (``image_id``, ``bbox`` xywh, ``score``, ``category_id``).
        coco: The ground truth the detections refer to.
        iou_thr: IoU needed for a hit.

    Returns:
        One score per annotation of ``coco`` (``-inf`` where nothing hits it).
    """
    by_image: Dict[int, List[dict]] = {}
    for d in dets:
        by_image.setdefault(d['image_id'], []).append(d)
    out = []
    for ann in coco.get('annotations', []):
        cands = [d for d in by_image.get(ann['image_id'], [])
                 if d['category_id'] == ann['category_id']]
        if not cands:
            out.append(-np.inf)
            continue
        iou = box_iou(np.array([_xyxy(ann['bbox'])]), np.array([_xyxy(d['bbox']) for d in cands]))
        scores = np.array([d['score'] for d in cands])[iou[0] >= iou_thr]
        out.append(float(scores.max()) if len(scores) else -np.inf)
    return np.asarray(out, np.float64)


def operating_threshold(hit_scores: np.ndarray, sensitivity: float) -> Optional[float]:
    """Highest threshold at which at least ``sensitivity`` of the boxes are found.

    Args:
        hit_scores: :func:`best_hit_scores` of the training films.
        sensitivity: Target share in ``(0, 1]``.

    Returns:
        The threshold, or ``None`` when no threshold reaches the target.
    """
    if not 0 < sensitivity <= 1:
        raise ValueError(f'op sensitivity must lie in (0, 1], got {sensitivity}')
    if not len(hit_scores):
        raise ValueError('no training lesion to choose an operating point on')
    needed = int(np.ceil(sensitivity * len(hit_scores) - 1e-9))
    kth = float(np.sort(hit_scores)[::-1][needed - 1])
    return kth if np.isfinite(kth) else None


def operating_point_metrics(dets: Sequence[dict], coco: dict, threshold: float,
                            iou_thr: float = 0.5) -> Dict[str, float]:
    """Detections per normal (box-free) film and lesion sensitivity at ``threshold``."""
    boxed = {a['image_id'] for a in coco.get('annotations', [])}
    normal = [img['id'] for img in coco['images'] if img['id'] not in boxed]
    normal_set = set(normal)
    kept = [d for d in dets if d['score'] >= threshold]
    per_normal = (sum(d['image_id'] in normal_set for d in kept) / len(normal)
                  if normal else float('nan'))
    hits = best_hit_scores(kept, coco, iou_thr)
    return dict(det_per_normal=per_normal, num_normal=len(normal),
                sens_at_op=float((hits >= threshold).mean()) if len(hits) else float('nan'))


def score_detector(config: str, checkpoint: str, eval_ann: str, op_ann: str,
                   out_dir: os.PathLike, cfg_options: Optional[dict] = None,
                   op_sensitivity: float = OP_SENSITIVITY) -> Dict[str, float]:
    """Both passes; returns the test metrics plus the operating-point figures.

    Args:
        config: Detector config.
        checkpoint: Its checkpoint.
        eval_ann: Held-out COCO file (lesion and normal films).
        op_ann: Labelled training COCO file the operating point is chosen on.
        out_dir: Where the detections (``eval.bbox.json``, ``train.bbox.json``) go.
        cfg_options: Further overrides (data roots, pipelines).
        op_sensitivity: Training sensitivity of the operating point.
    """
    from mmdgan.evaluation.evaluate import build_test_config, evaluate

    out_dir = Path(out_dir)
    # Checked before the (minutes-long) test passes, so that a malformed box
    # is reported by file and annotation, not as a KeyError after them.
    ann_files = {'eval': eval_ann, 'train': op_ann}
    truths = {name: load_coco(ann, f'{name} COCO file', check_annotations=True)
              for name, ann in ann_files.items()}
    passes = {}
    for name, ann in ann_files.items():
        opts = dict(cfg_options or {})
        opts.update({'test_dataloader.dataset.ann_file': str(ann),
                     'test_evaluator.0.ann_file': str(ann),
                     'test_evaluator.0.outfile_prefix': str(out_dir / name)})
        cfg = build_test_config(config, checkpoint, work_dir=str(out_dir / name), cfg_options=opts)
        metrics = evaluate(cfg)
        dets_file = out_dir / f'{name}.bbox.json'
        if not dets_file.is_file():
            raise FileNotFoundError(f'{dets_file} was not written: test_evaluator.0 must be '
                                    f'a CocoMetric')
        passes[name] = (metrics, json.loads(dets_file.read_text()), truths[name])
    metrics, dets, coco = passes['eval']
    threshold = operating_threshold(best_hit_scores(passes['train'][1], passes['train'][2]),
                                    op_sensitivity)
    out = dict(metrics, op_threshold=threshold or 0.0, op_reached=threshold is not None,
               op_sensitivity=op_sensitivity,
               **operating_point_metrics(dets, coco, threshold or 0.0))
    out.update({f'train/{k}': v for k, v in passes['train'][0].items()})
    return out
