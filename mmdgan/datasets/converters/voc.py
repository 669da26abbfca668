"""Pascal VOC (``Annotations/*.xml`` + ``JPEGImages/``) -> the unpaired COCO folder contract.

Objects of the target classes become boxes; images with at least one target
object are Y, images without any are X. VOC has no patients: every image is
its own split unit.

Objects marked ``<difficult>1</difficult>`` are written as ignored boxes
(COCO ``iscrowd=1``), as VOC's own evaluation treats them: mmdet's
``CocoDataset`` flags them ``ignore_flag=1`` (no positive, no negative in
training) and ``CocoMetric`` matches detections on them to nothing; mmdgan
never samples, pastes, embeds or stratifies them as objects.
``keep_difficult=True`` writes them as ordinary boxes instead.
"""
import os
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import List, Optional, Sequence, Tuple

from mmdgan.fileio import image_path

from .common import BoxStats, SourceImage, category_names, export_dataset, format_counts


def _number(obj: ET.Element, tag: str, where: str) -> float:
    node = obj.find(tag)
    if node is None or node.text is None:
        raise ValueError(f'{where}: missing <{tag}>')
    try:
        return float(node.text)
    except ValueError:
        raise ValueError(f'{where}: <{tag}> {node.text!r} is not a number') from None


Box = Tuple[float, float, float, float, int]


def _difficult(obj: ET.Element, where: str) -> bool:
    text = (obj.findtext('difficult') or '0').strip()
    if text not in ('0', '1'):
        raise ValueError(f'{where}: <difficult> {text!r} is not 0 or 1')
    return text == '1'


def parse_voc_xml(xml_file: Path, classes: Sequence[str], keep_difficult: bool = False
                  ) -> Tuple[str, List[Box], List[Box]]:
    """Read one VOC annotation.

    Args:
        xml_file: The annotation.
        classes: Target class names; other objects are skipped.
        keep_difficult: Return difficult objects among the ordinary boxes.

    Returns:
        The image file name, the target boxes and the difficult target boxes
        (empty with ``keep_difficult``), each as ``(x1, y1, x2, y2,
        category_id)`` in the continuous pixel frame (VOC's 1-based
        inclusive ``xmin`` becomes ``xmin - 1``).

    Raises:
        ValueError: On unparsable xml (with its line) or missing/non-numeric
            fields (naming the object).
    """
    try:
        root = ET.parse(xml_file).getroot()
    except ET.ParseError as err:
        raise ValueError(f'{xml_file}:{err.position[0]}: invalid xml: {err}') from None
    filename = root.findtext('filename')
    if not filename:
        raise ValueError(f'{xml_file}: missing <filename>')
    boxes, difficult = [], []
    for i, obj in enumerate(root.iter('object'), start=1):
        name = (obj.findtext('name') or '').strip()
        if name not in classes:
            continue
        where = f'{xml_file}: object {i} ({name})'
        bnd = obj.find('bndbox')
        if bnd is None:
            raise ValueError(f'{where}: missing <bndbox>')
        x1, y1, x2, y2 = (_number(bnd, t, where) for t in ('xmin', 'ymin', 'xmax', 'ymax'))
        ignored = _difficult(obj, where) and not keep_difficult
        (difficult if ignored else boxes).append(
            (x1 - 1, y1 - 1, x2, y2, list(classes).index(name) + 1))
    return filename, boxes, difficult


def convert_voc(src: os.PathLike, out_dir: os.PathLike, classes: Sequence[str],
                seed: int = 0, size: Optional[int] = None,
                ratios=(0.6, 0.2, 0.2), overwrite: bool = False,
                allow_outside_root: bool = False,
                keep_difficult: bool = False) -> Tuple[dict, BoxStats]:
    """Convert a VOC-style folder.

    Args:
        src: Folder with ``Annotations/`` and ``JPEGImages/``.
        out_dir: Output dataset folder.
        classes: Target class names (one category each, in this order).
        seed: Seed of the split.
        size: Resize images and boxes to ``size x size``; ``None`` keeps them.
        ratios: Train/val/test fractions of images.
        overwrite: Replace an existing ``out_dir`` if it is a dataset folder.
        allow_outside_root: Read images whose ``<filename>`` leaves
            ``JPEGImages/`` (``..`` or an absolute path); refused otherwise.
        keep_difficult: Write ``<difficult>`` objects as ordinary boxes
            (default: ignored boxes, ``iscrowd=1``). An image whose target
            objects are all difficult is labelled (Y) either way, never clean.

    Returns:
        Counts per json file and the box statistics.
    """
    src, classes = Path(src), category_names(classes, 'target class')
    ann_dir = src / 'Annotations'
    xml_files = sorted(ann_dir.glob('*.xml'))
    if not xml_files:
        raise FileNotFoundError(f'no VOC annotations (*.xml) found in {ann_dir}')
    stats = BoxStats()
    items = []
    for xml_file in xml_files:
        filename, boxes, difficult = parse_voc_xml(xml_file, classes, keep_difficult)
        image = image_path(src / 'JPEGImages', filename, xml_file, allow_outside_root)
        if not image.is_file():
            raise FileNotFoundError(f'{xml_file}: image {image} not found')
        # An image showing only difficult objects is no clean image: it stays in Y.
        items.append(SourceImage(image, f'images/{Path(filename).stem}.png', xml_file.stem,
                                 bool(boxes or difficult), boxes, ignored=difficult))
    counts = export_dataset(out_dir, items, classes, stats, seed=seed, size=size,
                            ratios=ratios, overwrite=overwrite)
    return counts, stats


__all__ = ['convert_voc', 'parse_voc_xml', 'format_counts']
