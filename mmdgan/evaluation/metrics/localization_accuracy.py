"""Localization accuracy: the lesion-finding figure medical detection papers report.

A ground-truth box counts as *found* when one of its image's ``k`` highest
scoring detections overlaps it with IoU >= ``T``. The metric is the share of
found boxes over all ground-truth boxes of the evaluated set, for every
``(k, T)`` pair asked for.
"""
from typing import Dict, List, Optional, Sequence, Union

import numpy as np
import torch
from mmdet.structures.bbox import bbox_overlaps
from mmengine.evaluator import BaseMetric
from mmengine.logging import MMLogger

from mmdgan.registry import METRICS


def box_iou(boxes_a: np.ndarray, boxes_b: np.ndarray) -> np.ndarray:
    """Pairwise IoU of xyxy boxes in the continuous pixel frame (as COCO does).

    mmdet's ``bbox_overlaps`` in float64, on numpy arrays.

    Args:
        boxes_a: ``(N, 4)`` xyxy.
        boxes_b: ``(M, 4)`` xyxy.

    Returns:
        ``(N, M)`` IoU matrix.
    """
    as_tensor = [torch.as_tensor(np.asarray(b, np.float64).reshape(-1, 4))
                 for b in (boxes_a, boxes_b)]
    return bbox_overlaps(*as_tensor, mode='iou').numpy()


def _to_numpy(value) -> np.ndarray:
    if hasattr(value, 'detach'):
        value = value.detach().cpu().numpy()
    return np.asarray(value)


def _ground_truth(data_sample: dict) -> tuple:
    """Ground-truth boxes and labels of one data sample, in the original frame.

    ``instances`` (raw annotations, kept when ``PackDetInputs`` is asked to)
    are preferred; otherwise ``gt_instances``, which mmdet's test pipelines
    load *after* ``Resize`` so that they stay in the original image frame,
    like the rescaled predictions.
    """
    if 'instances' in data_sample:
        kept = [ann for ann in data_sample['instances'] if not ann.get('ignore_flag', 0)]
        boxes = np.array([ann['bbox'] for ann in kept], np.float64).reshape(-1, 4)
        labels = np.array([ann['bbox_label'] for ann in kept], np.int64)
        return boxes, labels
    if 'gt_instances' in data_sample:
        gt = data_sample['gt_instances']
        return (_to_numpy(gt['bboxes']).astype(np.float64).reshape(-1, 4),
                _to_numpy(gt['labels']).astype(np.int64).reshape(-1))
    raise KeyError('data sample has neither "instances" nor "gt_instances": '
                   'add LoadAnnotations(with_bbox=True) to the test pipeline')


@METRICS.register_module()
class LocalizationAccuracy(BaseMetric):
    """Share of ground-truth boxes hit by one of the image's top-k detections.

    Args:
        top_k: Number(s) of highest scoring detections per image that may hit
            a ground-truth box.
        iou_thr: IoU threshold(s) for a hit.
        class_aware: If True, a detection only hits ground truth of its own
            label. Detections are ranked by score over all classes either way.
        score_thr: Detections below this score are ignored before ranking.
        collect_device: See :class:`mmengine.evaluator.BaseMetric`.
        prefix: Prefix of the metric names (``loc/acc_top1_iou50``, ...).
    """

    default_prefix: Optional[str] = 'loc'

    def __init__(self,
                 top_k: Union[int, Sequence[int]] = 1,
                 iou_thr: Union[float, Sequence[float]] = 0.5,
                 class_aware: bool = True,
                 score_thr: float = 0.0,
                 collect_device: str = 'cpu',
                 prefix: Optional[str] = None) -> None:
        super().__init__(collect_device=collect_device, prefix=prefix)
        self.top_ks = [int(k) for k in np.atleast_1d(top_k)]
        self.iou_thrs = [float(t) for t in np.atleast_1d(iou_thr)]
        if not self.top_ks or min(self.top_ks) < 1:
            raise ValueError(f'top_k must be >= 1, got {top_k!r}')
        if not self.iou_thrs or not all(0.0 < t <= 1.0 for t in self.iou_thrs):
            raise ValueError(f'iou_thr must lie in (0, 1], got {iou_thr!r}')
        self.class_aware = class_aware
        self.score_thr = score_thr

    @staticmethod
    def metric_name(top_k: int, iou_thr: float) -> str:
        """Name of one ``(k, T)`` entry, e.g. ``acc_top1_iou50``."""
        return f'acc_top{top_k}_iou{round(iou_thr * 100):d}'

    def hits(self, pred_boxes: np.ndarray, pred_scores: np.ndarray,
             pred_labels: np.ndarray, gt_boxes: np.ndarray,
             gt_labels: np.ndarray) -> Dict[str, int]:
        """Number of found ground-truth boxes of one image per ``(k, T)``."""
        keep = pred_scores >= self.score_thr
        pred_boxes, pred_scores, pred_labels = (pred_boxes[keep], pred_scores[keep],
                                                pred_labels[keep])
        order = np.argsort(-pred_scores, kind='stable')
        iou = box_iou(gt_boxes, pred_boxes[order])
        if self.class_aware:
            iou = np.where(gt_labels[:, None] == pred_labels[order][None, :], iou, 0.0)
        found = {}
        for k in self.top_ks:
            best = iou[:, :k].max(axis=1) if iou.shape[1] else np.zeros(len(gt_boxes))
            for t in self.iou_thrs:
                found[self.metric_name(k, t)] = int((best >= t).sum())
        return found

    def process(self, data_batch: dict, data_samples: Sequence[dict]) -> None:
        """Count found and total ground-truth boxes of each image of a batch."""
        for sample in data_samples:
            pred = sample['pred_instances']
            gt_boxes, gt_labels = _ground_truth(sample)
            found = self.hits(
                _to_numpy(pred['bboxes']).astype(np.float64).reshape(-1, 4),
                _to_numpy(pred['scores']).astype(np.float64).reshape(-1),
                _to_numpy(pred['labels']).astype(np.int64).reshape(-1),
                gt_boxes, gt_labels)
            self.results.append(dict(num_gt=len(gt_boxes), found=found))

    def compute_metrics(self, results: List[dict]) -> Dict[str, float]:
        """Pool the counts of all images into one accuracy per ``(k, T)``."""
        num_gt = sum(r['num_gt'] for r in results)
        names = [self.metric_name(k, t) for k in self.top_ks for t in self.iou_thrs]
        if num_gt == 0:
            MMLogger.get_current_instance().warning(
                'LocalizationAccuracy: the evaluated set has no ground-truth '
                'boxes; reporting 0.0')
            return {name: 0.0 for name in names}
        return {name: sum(r['found'][name] for r in results) / num_gt for name in names}
