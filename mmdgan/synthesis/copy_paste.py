"""Copy-paste baseline: real object crops pasted into clean images.

The crops are the boxes of Y's training split; each is resized to a sampled
insertion box and blended in, either with Poisson image editing
(``cv2.seamlessClone``) or with a feathered alpha ramp.

With several classes (and no ``target_class``) every box takes the class the
box sampler drew it with (Y's class frequencies, sizes of that class, as for
the GAN), the pasted crop is a real box of that class, and the synthetic
COCO file carries it. Ignored boxes (``iscrowd=1``) are never copied.
"""
import os
import warnings
from pathlib import Path
from typing import Dict, List, Optional, Sequence, Tuple, Union

import cv2
import numpy as np

from mmdgan.fileio import image_path, is_ignored, read_image

from .clean_source import (
    CleanImageSource,
    build_box_sampler,
    category_names,
    load_coco,
    target_category_id,
)
from .dataset_writer import SyntheticDatasetWriter
from .pipeline import run_synthesis

BLENDS = ('poisson', 'feather')
#: Smallest pasted side in pixels: ``seamlessClone`` fails on masks whose
#: interior is thinner than 3 px.
MIN_SIDE = 5


def _integer_box(box: Sequence[float], width: int, height: int) -> tuple:
    """The integer pixel box a crop is pasted into: rounded, clipped, at least MIN_SIDE."""
    x1, y1, x2, y2 = (int(round(v)) for v in box)
    w = min(max(x2 - x1, MIN_SIDE), width)
    h = min(max(y2 - y1, MIN_SIDE), height)
    x1 = min(max(x1, 0), width - w)
    y1 = min(max(y1, 0), height - h)
    return x1, y1, x1 + w, y1 + h


def feather_alpha(h: int, w: int, ramp: float = 0.25) -> np.ndarray:
    """Alpha ``(h, w)``: 1 in the centre, falling linearly to ~0 at the box edge.

    ``ramp`` is the ramp width as a fraction of the shorter side.
    """
    width = max(ramp * min(h, w), 1.0)
    ys = np.minimum(np.arange(h) + 0.5, h - np.arange(h) - 0.5)
    xs = np.minimum(np.arange(w) + 0.5, w - np.arange(w) - 0.5)
    dist = np.minimum(ys[:, None], xs[None, :])
    return np.clip(dist / width, 0.0, 1.0).astype(np.float32)


def poisson_paste(dst: np.ndarray, patch: np.ndarray, box: tuple) -> np.ndarray:
    """Poisson-blend ``patch`` into ``dst`` at the integer ``box``.

    ``seamlessClone`` wants 3-channel images and a region strictly inside the
    destination: grayscale goes through BGR and back, and the destination is
    reflect-padded so that boxes touching the border work.
    """
    gray = dst.ndim == 2
    dst3 = cv2.cvtColor(dst, cv2.COLOR_GRAY2BGR) if gray else dst
    src3 = cv2.cvtColor(patch, cv2.COLOR_GRAY2BGR) if patch.ndim == 2 else patch
    x1, y1, x2, y2 = box
    h, w = y2 - y1, x2 - x1
    # Enough padding that OpenCV's clone region never leaves the destination.
    pad = 2 + max(h, w) // 2
    padded = cv2.copyMakeBorder(dst3, pad, pad, pad, pad, cv2.BORDER_REFLECT_101)
    mask = np.zeros((h, w), np.uint8)
    mask[1:-1, 1:-1] = 255
    # seamlessClone centres the mask's bounding rect (inset by 1 px) on ``center``.
    center = (x1 + pad + 1 + (w - 2) // 2, y1 + pad + 1 + (h - 2) // 2)
    out = cv2.seamlessClone(src3, padded, mask, center, cv2.NORMAL_CLONE)
    out = out[pad:-pad, pad:-pad]
    return cv2.cvtColor(out, cv2.COLOR_BGR2GRAY) if gray else out


def feather_paste(dst: np.ndarray, patch: np.ndarray, box: tuple) -> np.ndarray:
    """Alpha-blend ``patch`` into ``dst`` with a feathered edge."""
    x1, y1, x2, y2 = box
    alpha = feather_alpha(y2 - y1, x2 - x1)
    if dst.ndim == 3:
        alpha = alpha[..., None]
    out = dst.copy()
    region = dst[y1:y2, x1:x2].astype(np.float32)
    out[y1:y2, x1:x2] = np.clip(np.rint(alpha * patch + (1 - alpha) * region), 0, 255)
    return out


def _inside_box(bbox: Sequence[float], width: Optional[int],
                height: Optional[int]) -> Optional[tuple]:
    """The integer pixel box of a COCO ``bbox`` clipped to its image; ``None`` if nothing is left.

    ``width`` / ``height`` of ``None`` (not recorded) leave the box unclipped.
    """
    x, y, w, h = bbox
    x1, y1 = int(np.floor(x)), int(np.floor(y))
    x2 = max(int(np.ceil(x + w)), x1 + 1)
    y2 = max(int(np.ceil(y + h)), y1 + 1)
    if width and height:
        x1, y1, x2, y2 = max(x1, 0), max(y1, 0), min(x2, int(width)), min(y2, int(height))
    if x2 <= x1 or y2 <= y1:
        return None
    return x1, y1, x2, y2


class CopyPasteSynthesizer:
    """Paste real object crops of Y into clean images at sampled boxes.

    Args:
        labelled_ann_file: Y's COCO file (training split); its boxes are the
            crop bank and its categories the output's.
        box_sampler: Object with ``sample(img, rng) -> (K, 4)``, e.g. the
            ``BoxPriorSampler`` of a DetectorGAN config, so that both methods
            insert at the same boxes; with several classes also
            ``sample(img, rng, return_categories=True)``.
        blend: ``'poisson'`` or ``'feather'``.
        target_class: Category of every crop and inserted box. ``None``: with
            one class that class; with several, each box's class as the
            sampler draws it, its crop a real box of that class.
        allow_outside_root: Read images whose ``file_name`` leaves the
            labelled file's folder.
        img_root: Folder the labelled file's ``file_name`` entries are
            relative to (default: the file's own folder), as mmdet's
            ``data_root`` + ``data_prefix.img``.
    """

    def __init__(self, labelled_ann_file: os.PathLike, box_sampler, blend: str = 'poisson',
                 target_class: Optional[str] = None, allow_outside_root: bool = False,
                 img_root: Optional[os.PathLike] = None) -> None:
        if blend not in BLENDS:
            raise ValueError(f'blend must be one of {BLENDS}, got {blend!r}')
        self.ann_file = Path(labelled_ann_file)
        coco = load_coco(self.ann_file, 'labelled COCO file', check_annotations=True)
        self.categories = category_names(coco, self.ann_file)
        #: COCO id of every pasted box, or ``None``: each box's own (several classes).
        self.category_id: Optional[int] = None
        if target_class is not None or len(self.categories) == 1:
            self.category_id = target_category_id(self.categories, target_class, self.ann_file)
        wanted = ({self.category_id} if self.category_id is not None
                  else set(range(1, len(self.categories) + 1)))
        what = ('' if self.category_id is None
                else f' of category {self.categories[self.category_id - 1]!r}')
        images = {img['id']: img for img in coco['images']}
        anns = [a for a in coco.get('annotations', [])
                if a['category_id'] in wanted and not is_ignored(a)]
        if not anns:
            raise ValueError(f'{self.ann_file} has no box{what} to copy (ignored boxes, '
                             'iscrowd=1, are not copied)')
        root = Path(img_root) if img_root is not None else self.ann_file.parent
        #: Category id -> crops of that class: ``(image path, integer box)``.
        self.banks: Dict[int, List[Tuple[Path, tuple]]] = {}
        outside = []
        for ann in anns:
            img = images[ann['image_id']]
            box = _inside_box(ann['bbox'], img.get('width'), img.get('height'))
            if box is None:
                outside.append(ann)
                continue
            path = image_path(root, img['file_name'], self.ann_file, allow_outside_root, coco)
            self.banks.setdefault(int(ann['category_id']), []).append((path, box))
        if outside:
            first = outside[0]
            img = images[first['image_id']]
            where = (f'e.g. annotation {first.get("id")} bbox {first["bbox"]} on '
                     f'{img["file_name"]} ({img.get("width")}x{img.get("height")})')
            if not self.banks:
                raise ValueError(f'{self.ann_file}: every box{what} lies outside its '
                                 f'image, nothing to copy ({where})')
            warnings.warn(f'{self.ann_file}: {len(outside)} box(es) lie outside their image and '
                          f'are not copied ({where})', stacklevel=2)
        self.sampler = box_sampler
        self.blend = blend
        self._cache: dict = {}

    @property
    def bank(self) -> List[Tuple[Path, tuple]]:
        """Every crop, of every class, in annotation order within each class."""
        return [crop for cat in sorted(self.banks) for crop in self.banks[cat]]

    def _bank_of(self, category_id: int) -> List[Tuple[Path, tuple]]:
        bank = self.banks.get(int(category_id))
        if not bank:
            name = (self.categories[category_id - 1]
                    if 1 <= category_id <= len(self.categories) else category_id)
            raise ValueError(f'{self.ann_file}: the box sampler drew class {name!r}, of which '
                             f'the file has no box to copy (sampler: {self.sampler!r})')
        return bank

    def _crop(self, crop: Tuple[Path, tuple], channels: int) -> np.ndarray:
        path, (x1, y1, x2, y2) = crop
        if path not in self._cache:
            self._cache[path] = read_image(path)
        img = self._cache[path]
        crop = img[y1:y2, x1:x2]
        if crop.size == 0:  # the COCO file's width/height do not match the image
            raise ValueError(f'{self.ann_file}: box {[x1, y1, x2, y2]} lies outside {path} '
                             f'({img.shape[1]}x{img.shape[0]} pixels)')
        if channels == 1 and crop.ndim == 3:
            crop = cv2.cvtColor(crop, cv2.COLOR_BGR2GRAY)
        elif channels == 3 and crop.ndim == 2:
            crop = cv2.cvtColor(crop, cv2.COLOR_GRAY2BGR)
        return crop

    def paste(self, img: np.ndarray, boxes: np.ndarray, rng: np.random.Generator,
              categories: Optional[Sequence[int]] = None) -> tuple:
        """Paste one random crop per box.

        Args:
            img: The clean image.
            boxes: ``(K, 4)`` xyxy boxes.
            rng: Random stream of the crop choice.
            categories: Each box's COCO category id; its crop is a real box
                of that class. ``None``: the synthesizer's ``category_id``.

        Returns:
            The new image and the integer boxes actually pasted ``(K, 4)``.
        """
        h, w = img.shape[:2]
        out = img.copy()
        pasted = []
        channels = 1 if img.ndim == 2 else img.shape[2]
        boxes = np.asarray(boxes).reshape(-1, 4)
        if categories is None:
            if self.category_id is None:
                raise ValueError('paste: several classes, so every box needs its category')
            categories = [self.category_id] * len(boxes)
        if len(categories) != len(boxes):
            raise ValueError(f'paste: {len(boxes)} boxes but {len(categories)} categories')
        for box, cat in zip(boxes, categories):
            ibox = _integer_box(box, w, h)
            bank = self._bank_of(int(cat))
            crop = self._crop(bank[int(rng.integers(len(bank)))], channels)
            patch = cv2.resize(crop, (ibox[2] - ibox[0], ibox[3] - ibox[1]),
                               interpolation=cv2.INTER_LINEAR)
            if patch.ndim == 2 and out.ndim == 3:
                patch = patch[..., None]
            blend = poisson_paste if self.blend == 'poisson' else feather_paste
            out = blend(out, patch, ibox)
            pasted.append(ibox)
        return out, np.array(pasted, np.float32).reshape(-1, 4)

    def run(self, clean_ann_file: os.PathLike, num: int, out_dir: os.PathLike, seed: int = 0,
            resize: Optional[dict] = None, overwrite: bool = False,
            progress: bool = True, allow_outside_root: bool = False,
            clean_img_root: Optional[os.PathLike] = None) -> Path:
        """Write a synthetic dataset folder (same format as :func:`synthesize`).

        Args:
            clean_ann_file: Clean COCO file (X).
            num: Number of synthetic images.
            out_dir: Output folder, written atomically.
            seed: Seed of image order, boxes and crops.
            resize: Resize the clean images first (as the GAN would see them).
            overwrite: Replace an existing ``out_dir``.
            progress: Show a progress bar.
            allow_outside_root: Read clean images whose ``file_name`` leaves
                the clean file's folder.
            clean_img_root: Folder the clean file's ``file_name`` entries are
                relative to (default: its own folder).
        """
        rng = np.random.default_rng(seed)
        source = CleanImageSource(clean_ann_file, resize=resize,
                                  allow_outside_root=allow_outside_root, img_root=clean_img_root)
        info = dict(description='mmdgan synthetic dataset (copy-paste baseline)',
                    method='copy-paste', blend=self.blend, labelled_ann_file=str(self.ann_file),
                    clean_ann_file=str(clean_ann_file), seed=seed, resize=resize)

        def insert(images: List[np.ndarray], boxes: List[np.ndarray],
                   categories: Optional[List[np.ndarray]] = None) -> tuple:
            cats = categories if categories is not None else [None] * len(images)
            pasted = [self.paste(img, b, rng, c) for img, b, c in zip(images, boxes, cats)]
            return [p[0] for p in pasted], [p[1] for p in pasted]

        with SyntheticDatasetWriter(out_dir, self.categories, info, overwrite) as writer:
            run_synthesis(source, self.sampler, insert, num, writer, self.category_id, rng,
                          batch_size=1, progress=progress)
        return Path(out_dir)


def copy_paste_synthesize(labelled_ann_file: str, clean_ann_file: str, num: int,
                          out_dir: str, box_sampler: Union[dict, object, None] = None,
                          blend: str = 'poisson', target_class: Optional[str] = None,
                          seed: int = 0, resize: Optional[dict] = None,
                          overwrite: bool = False, progress: bool = True,
                          allow_outside_root: bool = False,
                          img_root: Optional[str] = None,
                          clean_img_root: Optional[str] = None) -> Path:
    """Functional entry point of the copy-paste baseline.

    ``box_sampler`` may be a built sampler, a config dict, or ``None`` for a
    default ``BoxPriorSampler`` fitted on ``labelled_ann_file`` (on
    ``target_class``'s boxes when one is named). ``allow_outside_root``
    reads images whose ``file_name`` leaves their COCO file's folder (refused
    otherwise, see :func:`mmdgan.fileio.image_path`); ``img_root`` /
    ``clean_img_root`` are the folders the labelled / clean ``file_name``
    entries are relative to (default: each file's own folder).
    """
    if box_sampler is None:
        box_sampler = dict(type='BoxPriorSampler', ann_file=labelled_ann_file)
        if target_class is not None:
            box_sampler['classes'] = [target_class]
    if isinstance(box_sampler, dict):
        box_sampler = build_box_sampler(box_sampler)
    synth = CopyPasteSynthesizer(labelled_ann_file, box_sampler, blend, target_class,
                                 allow_outside_root, img_root)
    return synth.run(clean_ann_file, num, out_dir, seed, resize, overwrite, progress,
                     allow_outside_root, clean_img_root)
