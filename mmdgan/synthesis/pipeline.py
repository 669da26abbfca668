"""The loop every synthesis method shares: draw clean images, sample boxes, insert, write."""
from typing import Callable, List, Optional, Tuple

import numpy as np
from mmengine.utils import ProgressBar

from .clean_source import CleanImageSource
from .dataset_writer import SyntheticDatasetWriter

#: ``insert(images, boxes) -> (images, boxes)``: uint8 images of one shape and
#: their ``(K, 4)`` xyxy boxes in; uint8 images with inserted objects and the
#: boxes they were inserted at (a method may round them) out. With several
#: classes (``run_synthesis(category_id=None)``) it is called with a third
#: argument, each box's COCO category id per image.
InsertFn = Callable[[List[np.ndarray], List[np.ndarray]],
                    Tuple[List[np.ndarray], List[np.ndarray]]]


def run_synthesis(source: CleanImageSource, sampler, insert: InsertFn, num: int,
                  writer: SyntheticDatasetWriter, category_id: Optional[int],
                  rng: np.random.Generator, batch_size: int = 8,
                  progress: bool = True) -> None:
    """Make ``num`` synthetic images and hand them to ``writer``.

    Images of a batch that differ in shape are inserted separately, so a
    batch never needs padding.

    Args:
        source: Clean images.
        sampler: Object with ``sample(img, rng) -> (K, 4)`` (``BoxPriorSampler``),
            and ``sample(img, rng, return_categories=True)`` for several classes.
        insert: The insertion method.
        num: Number of synthetic images.
        writer: An open :class:`SyntheticDatasetWriter`.
        category_id: COCO id of every inserted box; ``None``: each box takes
            the category the sampler drew it from (several classes).
        rng: Random stream for image order and boxes.
        batch_size: Images per call of ``insert``.
        progress: Show a progress bar.
    """
    if batch_size < 1:
        raise ValueError(f'batch_size must be >= 1, got {batch_size}')
    bar: Optional[ProgressBar] = ProgressBar(num) if progress else None
    draws = source.draw(num, rng)
    done = 0
    while done < num:
        chunk = [next(draws) for _ in range(min(batch_size, num - done))]
        if category_id is None:
            drawn = [sampler.sample(img, rng, return_categories=True) for _, img in chunk]
            boxes = [np.asarray(b, np.float32).reshape(-1, 4) for b, _ in drawn]
            cats = [np.asarray(c, np.int64) for _, c in drawn]
        else:
            boxes = [np.asarray(sampler.sample(img, rng), np.float32).reshape(-1, 4)
                     for _, img in chunk]
        for shape in dict.fromkeys(img.shape for _, img in chunk):
            idx = [i for i, (_, img) in enumerate(chunk) if img.shape == shape]
            args = ([chunk[i][1] for i in idx], [boxes[i] for i in idx])
            if category_id is None:
                args += ([cats[i] for i in idx], )
            outs, out_boxes = insert(*args)
            for i, out, out_box in zip(idx, outs, out_boxes):
                writer.add(out, out_box, cats[i] if category_id is None else category_id,
                           source=chunk[i][0])
        done += len(chunk)
        if bar is not None:
            for _ in chunk:
                bar.update()
    if bar is not None:
        print()
