"""Draw what a config's training set feeds the model, sample by sample (``browse_dataset``).

For the unpaired dataset of DetectorGAN each sample is a pair: the clean image
(X) with the insertion boxes sampled for it, beside the labelled image (Y)
with its boxes, both after their pipelines (resize, flip) as the model sees
them. Any other dataset is drawn image by image with its boxes, as mmdet's
``tools/analysis_tools/browse_dataset.py`` does.
"""
import os.path as osp
from typing import Iterator, Optional, Tuple

import cv2
import numpy as np
import torch
from mmengine.config import Config

#: Height of the caption strip above each drawn image, in pixels.
CAPTION_HEIGHT = 20


def _rgb(inputs: torch.Tensor) -> np.ndarray:
    """A packed ``(C, H, W)`` BGR (or grey) image as ``(H, W, 3)`` uint8 RGB."""
    img = inputs.permute(1, 2, 0).cpu().numpy()
    if img.shape[2] == 1:
        img = np.repeat(img, 3, axis=2)
    return np.ascontiguousarray(img[..., [2, 1, 0]]).astype(np.uint8)


def draw_packed(visualizer, packed: dict, caption: str) -> np.ndarray:
    """One packed sample (``PackDetInputs`` output) with its ground-truth boxes drawn.

    Args:
        visualizer: An mmdet ``DetLocalVisualizer`` whose ``dataset_meta`` is set.
        packed: ``dict(inputs=..., data_samples=DetDataSample)``.
        caption: Text written in a strip above the image.

    Returns:
        The drawn image, RGB, with the caption strip on top.
    """
    sample = packed['data_samples'].cpu().clone()
    bboxes = sample.gt_instances.get('bboxes', None)
    if bboxes is not None and hasattr(bboxes, 'tensor'):  # mmdet's BaseBoxes
        sample.gt_instances.bboxes = bboxes.tensor
    visualizer.add_datasample(caption, _rgb(packed['inputs']), sample, draw_pred=False,
                              show=False)
    drawn = visualizer.get_image()
    strip = np.full((CAPTION_HEIGHT, drawn.shape[1], 3), 255, np.uint8)
    cv2.putText(strip, caption, (3, CAPTION_HEIGHT - 6), cv2.FONT_HERSHEY_SIMPLEX, 0.4,
                (0, 0, 0), 1, cv2.LINE_AA)
    return np.concatenate([strip, drawn], axis=0)


def side_by_side(images) -> np.ndarray:
    """Images next to each other, top-aligned, padded white to the tallest."""
    height = max(img.shape[0] for img in images)
    padded = [np.pad(img, ((0, height - img.shape[0]), (0, 4), (0, 0)), constant_values=255)
              for img in images]
    return np.concatenate(padded, axis=1)[:, :-4]


def _stem(packed: dict) -> str:
    return osp.splitext(osp.basename(packed['data_samples'].img_path))[0]


def _count(packed: dict) -> int:
    return len(packed['data_samples'].gt_instances)


def draw_sample(visualizer, item: dict) -> Tuple[str, np.ndarray]:
    """``(name, drawn image)`` of one dataset item.

    An unpaired item (``dict(clean=..., labelled=...)``) becomes the clean
    image with its sampled insertion boxes beside the labelled image with its
    boxes; a plain detection item is drawn alone.
    """
    if 'clean' in item and 'labelled' in item:
        clean, labelled = item['clean'], item['labelled']
        drawn = side_by_side([
            draw_packed(visualizer, clean, f'X {_stem(clean)}: {_count(clean)} sampled box(es)'),
            draw_packed(visualizer, labelled, f'Y {_stem(labelled)}: {_count(labelled)} box(es)'),
        ])
        return f'{_stem(clean)}__{_stem(labelled)}', drawn
    return _stem(item), draw_packed(visualizer, item, _stem(item))


def browse_dataset(cfg: Config, num: Optional[int] = None,
                   seed: int = 0) -> Iterator[Tuple[int, str, np.ndarray]]:
    """Draw the first ``num`` items of ``cfg.train_dataloader.dataset``.

    Args:
        cfg: A loaded config (``mmdgan.utils.load_config``).
        num: How many items; all of them if ``None``.
        seed: Seed of python, numpy and torch, so that the sampled insertion boxes
            and the random flips repeat.

    Yields:
        ``(index, name, image)``: the item's index, a file-name stem naming
        its image(s), and the drawn image (RGB).

    Raises:
        ValueError: ``num`` is not positive, or the config has no training set.
    """
    from mmengine.runner import set_random_seed

    from mmdgan.registry import DATASETS, VISUALIZERS
    from mmdgan.utils import mmdgan_scope

    if num is not None and num < 1:
        raise ValueError(f'num must be >= 1, got {num}')
    dataset_cfg = cfg.get('train_dataloader', {}).get('dataset')
    if dataset_cfg is None:
        raise ValueError('the config has no train_dataloader.dataset to browse')
    set_random_seed(seed)
    with mmdgan_scope():
        dataset = DATASETS.build(dataset_cfg)
        visualizer = VISUALIZERS.build(dict(cfg.get('visualizer', dict(
            type='mmdet.DetLocalVisualizer')), name='browse_dataset', vis_backends=None))
    visualizer.dataset_meta = dataset.metainfo
    for index in range(len(dataset) if num is None else min(num, len(dataset))):
        name, image = draw_sample(visualizer, dataset[index])
        yield index, name, image
