"""Clean context crops for datasets without clean images."""
import json
import shutil

import cv2
import numpy as np

from mmdgan.fileio.clean_crops import (
    CROPS_FILE,
    box_free_strip,
    clean_train_file,
    make_clean_crops,
)


def test_strip_keeps_clear_of_every_box():
    boxes = np.array([[30, 40, 50, 60], [50, 10, 60, 20]], float)
    x1, y1, x2, y2 = box_free_strip(boxes, 100, 100, margin=0.5)
    # The margin is half the longer side of each box (10 and 5 px).
    assert (x1, y1, x2, y2) == (65, 0, 100, 100)
    for bx1, by1, bx2, by2 in boxes:
        assert bx2 <= x1 or bx1 >= x2 or by2 <= y1 or by1 >= y2
    assert box_free_strip(np.zeros((0, 4)), 30, 20, 0.5) == (0, 0, 30, 20)
    assert box_free_strip(np.array([[0, 0, 100, 100]], float), 100, 100, 0.5) is None


def test_folder_without_clean_images_gets_crops_once(colour_data, tmp_path, capsys):
    root = tmp_path / 'noclean'
    shutil.copytree(colour_data, root)
    (root / 'clean_train.json').unlink()
    assert clean_train_file(root) == CROPS_FILE
    crops = json.loads((root / CROPS_FILE).read_text())
    train = json.loads((root / 'train.json').read_text())
    assert 0 < len(crops['images']) <= len(train['images'])
    assert not crops['annotations']
    assert [c['name'] for c in crops['categories']] == ['disc', 'square']
    for info in crops['images']:
        img = cv2.imread(str(root / info['file_name']))
        assert img.shape == (info['height'], info['width'], 3)
    first = (root / CROPS_FILE).stat().st_mtime_ns
    assert clean_train_file(root) == CROPS_FILE  # reused, not rewritten
    assert (root / CROPS_FILE).stat().st_mtime_ns == first
    # A folder that has clean images keeps them.
    assert clean_train_file(colour_data) == 'clean_train.json'


def test_crops_are_cut_away_from_the_boxes(colour_data, tmp_path):
    root = tmp_path / 'c'
    shutil.copytree(colour_data, root)
    path, num = make_clean_crops(root, margin=0.5)
    crops = json.loads(path.read_text())
    train = json.loads((root / 'train.json').read_text())
    by_stem = {img['file_name'].split('/')[-1][:-4]: img for img in train['images']}
    for info in crops['images']:
        source = by_stem[info['file_name'].split('/')[-1][:-4]]
        src = cv2.imread(str(root / source['file_name']))
        crop = cv2.imread(str(root / info['file_name']))
        # The crop is a window of its source image, which holds none of its boxes.
        found = cv2.matchTemplate(src, crop, cv2.TM_SQDIFF)
        y, x = np.unravel_index(np.argmin(found), found.shape)
        assert np.array_equal(src[y:y + crop.shape[0], x:x + crop.shape[1]], crop)
        for ann in train['annotations']:
            if ann['image_id'] == source['id']:
                bx, by, bw, bh = ann['bbox']
                assert (bx + bw <= x or bx >= x + crop.shape[1] or by + bh <= y
                        or by >= y + crop.shape[0])
    assert num == len(crops['images'])
