"""Clean images (X) to insert objects into, and the pieces synthesis takes from a config."""
import os
from pathlib import Path
from typing import Iterator, List, Optional, Sequence, Tuple

import cv2
import mmcv
import numpy as np

from mmdgan.fileio import image_path, load_coco, read_image


def category_names(coco: dict, ann_file: os.PathLike) -> List[str]:
    """Category names in id order; ids must be 1..N as our converters write them."""
    cats = sorted(coco['categories'], key=lambda c: c['id'])
    if [c['id'] for c in cats] != list(range(1, len(cats) + 1)):
        raise ValueError(f'{ann_file}: category ids must be 1..N, got {[c["id"] for c in cats]}')
    return [c['name'] for c in cats]


def resolve(path: str, data_root: Optional[str]) -> str:
    """``path`` under ``data_root`` as ``UnpairedDetDataset`` resolves it (absolute stays)."""
    return os.path.join(data_root, path) if data_root else path


class CleanImageSource:
    """Draws clean images from a COCO file, optionally resized.

    Images are visited in a random order, reshuffled after each pass, so
    ``num`` larger than the clean set reuses every image about equally.

    Args:
        ann_file: Clean COCO file; ``file_name`` relative to its folder.
        resize: ``None`` (native size) or ``dict(scale=(w, h) | int,
            keep_ratio=bool)`` as mmdet's ``Resize``.
        channels: Channels the inserter expects (1 or 3); ``None`` keeps
            the image's own.
        allow_outside_root: Read images whose ``file_name`` leaves the COCO
            file's folder (``..``, absolute paths), refused otherwise.
        img_root: Folder ``file_name`` is relative to (default: the COCO
            file's own folder), as mmdet's ``data_root`` + ``data_prefix.img``.
    """

    def __init__(self, ann_file: os.PathLike, resize: Optional[dict] = None,
                 channels: Optional[int] = None, allow_outside_root: bool = False,
                 img_root: Optional[os.PathLike] = None) -> None:
        self.ann_file = Path(ann_file)
        coco = load_coco(self.ann_file, 'clean COCO file')
        self.files = [img['file_name'] for img in coco['images']]
        if not self.files:
            raise ValueError(f'clean COCO file {self.ann_file} lists no images')
        root = Path(img_root) if img_root is not None else self.ann_file.parent
        self.paths = {f: image_path(root, f, self.ann_file, allow_outside_root, coco)
                      for f in self.files}
        missing = [f for f in self.files if not self.paths[f].is_file()]
        if missing:
            raise FileNotFoundError(f'{len(missing)} image(s) of {self.ann_file} are missing, '
                                    f'e.g. {self.paths[missing[0]]}')
        self.resize = resize
        if channels not in (None, 1, 3):
            raise ValueError(f'channels must be 1 or 3, got {channels}')
        self.channels = channels

    def load(self, file_name: str) -> np.ndarray:
        """One image as uint8 ``(H, W)`` (gray) or ``(H, W, 3)``, resized if asked."""
        img = read_image(self.paths[file_name])
        if img.ndim == 3 and img.shape[2] == 4:
            img = img[..., :3]
        if img.ndim == 3 and img.shape[2] == 1:
            img = img[..., 0]
        if self.channels == 1 and img.ndim == 3:
            img = cv2.cvtColor(img, cv2.COLOR_BGR2GRAY)
        elif self.channels == 3 and img.ndim == 2:
            img = cv2.cvtColor(img, cv2.COLOR_GRAY2BGR)
        if self.resize is not None:
            scale = self.resize['scale']
            if self.resize.get('keep_ratio', False):
                img = mmcv.imrescale(img, scale)
            else:
                img = mmcv.imresize(img, scale if isinstance(scale, Sequence) else (scale, scale))
        return img

    def draw(self, num: int, rng: np.random.Generator) -> Iterator[Tuple[str, np.ndarray]]:
        """Yield ``num`` ``(file_name, image)`` pairs."""
        if num < 1:
            raise ValueError(f'num must be >= 1, got {num}')
        order: List[int] = []
        for _ in range(num):
            if not order:
                order = list(rng.permutation(len(self.files)))
            name = self.files[order.pop()]
            yield name, self.load(name)


def gan_resize(cfg) -> Optional[dict]:
    """The ``Resize`` of the config's clean pipeline (the generator's training size).

    Synthesis runs the inserter at the resolution it was trained at and
    writes images at that size, boxes in the same frame; a config without a
    ``Resize`` in ``train_dataloader.dataset.clean_pipeline`` runs at native size.
    """
    dataset = cfg.train_dataloader.dataset
    for t in dataset.get('clean_pipeline', []):
        if str(t.get('type', '')).split('.')[-1] in ('Resize', 'RandomResize'):
            if 'scale' not in t:
                raise ValueError(f'clean_pipeline Resize without "scale": {t}')
            scale = t['scale']
            if t['type'].split('.')[-1] == 'RandomResize':
                # A random scale range has no single training size: take its upper end.
                scale = scale[-1] if isinstance(scale[0], Sequence) else scale
            return dict(scale=tuple(scale) if isinstance(scale, Sequence) else int(scale),
                        keep_ratio=bool(t.get('keep_ratio', False)))
    return None


def box_sampler_cfg(cfg) -> dict:
    """``train_dataloader.dataset.box_sampler`` with the dataset's ``data_root``.

    ``UnpairedDetDataset`` hands its ``data_root`` to the sampler the same way,
    so relative paths in the sampler resolve identically in training and here.
    """
    dataset = cfg.train_dataloader.dataset
    if 'box_sampler' not in dataset:
        raise KeyError('config has no train_dataloader.dataset.box_sampler')
    sampler_cfg = dict(dataset.box_sampler)
    if dataset.get('data_root'):
        sampler_cfg.setdefault('data_root', dataset.data_root)
    if dataset.get('target_class') is not None:
        # As UnpairedDetDataset: one named class draws sizes from its own boxes
        # (the same boxes as all of them when Y has only that class).
        sampler_cfg.setdefault('classes', [dataset.target_class])
    return sampler_cfg


def build_box_sampler(sampler_cfg: dict):
    """Build a box sampler (``BoxPriorSampler``) from the mmdgan registries."""
    from mmdgan.registry import TASK_UTILS
    from mmdgan.utils import mmdgan_scope

    with mmdgan_scope():
        return TASK_UTILS.build(sampler_cfg)


def config_set(cfg, which: str) -> Tuple[str, str]:
    """The GAN's training ``'clean'`` (X) or ``'labelled'`` (Y) COCO file and the
    folder its ``file_name`` entries are relative to, as ``UnpairedDetDataset``
    reads them (``data_root`` + ``data_prefix``, or ``clean_data_prefix``)."""
    if which not in ('clean', 'labelled'):
        raise ValueError(f"which must be 'clean' or 'labelled', got {which!r}")
    dataset = cfg.train_dataloader.dataset
    key = f'{which}_ann_file'
    if key not in dataset:
        raise KeyError(f'config has no train_dataloader.dataset.{key}')
    prefix = dict(dataset.get('data_prefix') or {}).get('img', '')
    if which == 'clean' and dataset.get('clean_data_prefix') is not None:
        prefix = dict(dataset.clean_data_prefix).get('img', '')
    root = dataset.get('data_root')
    return resolve(dataset[key], root), resolve(prefix, root) or '.'


def labelled_categories(cfg) -> Tuple[List[str], int]:
    """Y's category names and the 1-based id of the config's target class."""
    dataset = cfg.train_dataloader.dataset
    if 'labelled_ann_file' not in dataset:
        raise KeyError('config has no train_dataloader.dataset.labelled_ann_file')
    ann_file = resolve(dataset.labelled_ann_file, dataset.get('data_root'))
    names = category_names(load_coco(ann_file, 'labelled COCO file'), ann_file)
    return names, target_category_id(names, dataset.get('target_class'), ann_file)


def target_category_id(names: Sequence[str], target_class: Optional[str],
                       ann_file: os.PathLike) -> int:
    """1-based id of ``target_class`` (default: the first category)."""
    if target_class is None:
        return 1
    if target_class not in names:
        raise ValueError(f'target_class {target_class!r} is not a category of {ann_file}: '
                         f'{list(names)}')
    return list(names).index(target_class) + 1
