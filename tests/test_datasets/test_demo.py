"""The procedural demo data: determinism, exact boxes, folder contract."""
import json

import numpy as np
import pytest

from mmdgan.datasets.demo import make_demo_dataset, render_image

TINY = dict(num_clean=3, num_labelled=3, size=64, num_heldout=2)


def _files(folder):
    return {p.relative_to(folder).as_posix(): p.read_bytes()
            for p in sorted(folder.rglob('*')) if p.is_file()}


def test_same_seed_byte_identical_other_seed_differs(tmp_path):
    make_demo_dataset(tmp_path / 'a', seed=3, **TINY)
    make_demo_dataset(tmp_path / 'b', seed=3, **TINY)
    make_demo_dataset(tmp_path / 'c', seed=4, **TINY)
    a, b, c = (_files(tmp_path / n) for n in 'abc')
    assert a == b
    assert a.keys() == c.keys()
    pngs = [k for k in a if k.endswith('.png')]
    assert all(a[k] != c[k] for k in pngs)


def test_folder_contract(demo_data):
    import cv2
    for name in ('train', 'val', 'test'):
        y = json.loads((demo_data / f'{name}.json').read_text())
        x = json.loads((demo_data / f'clean_{name}.json').read_text())
        assert [c['name'] for c in y['categories']] == ['lesion']
        assert x['annotations'] == [] and x['images']
        assert {a['image_id'] for a in y['annotations']} == {i['id'] for i in y['images']}
        for img in y['images'] + x['images']:
            arr = cv2.imread(str(demo_data / img['file_name']), cv2.IMREAD_UNCHANGED)
            assert arr.ndim == 2 and arr.shape == (img['height'], img['width'])
        sizes = {i['id']: i['width'] for i in y['images']}
        for ann in y['annotations']:
            x0, y0, w, h = ann['bbox']
            side = sizes[ann['image_id']]
            assert 0 <= x0 and 0 <= y0 and x0 + w <= side and y0 + h <= side
            # 4-15 % of the image side (spicules/lobules make it vary a little).
            assert 0.02 * side <= max(w, h) <= 0.2 * side


def test_boxes_are_exact():
    """Pixels change only inside the boxes when lesions are added to a background."""
    rng_free, _ = render_image(7, 'train', 0, size=128, num_lesions=0)
    with_lesions, boxes = render_image(7, 'train', 0, size=128, num_lesions=3)
    assert boxes
    # The final quantum noise differs (rng consumed by lesions): compare smoothed images.
    import cv2
    diff = np.abs(cv2.GaussianBlur(with_lesions.astype(np.float32), (0, 0), 3)
                  - cv2.GaussianBlur(rng_free.astype(np.float32), (0, 0), 3))
    inside = np.zeros_like(diff, bool)
    for x1, y1, x2, y2 in boxes:
        inside[int(y1):int(y2), int(x1):int(x2)] = True
        assert diff[int(y1):int(y2), int(x1):int(x2)].max() > 2
    assert diff[~inside].mean() < diff[inside].mean() / 3


@pytest.mark.parametrize('kwargs, message', [
    (dict(num_clean=0), 'num_clean'), (dict(num_labelled=0), 'num_labelled'),
    (dict(size=8), 'size')])
def test_bad_arguments(tmp_path, kwargs, message):
    with pytest.raises(ValueError, match=message):
        make_demo_dataset(tmp_path, **{**TINY, **kwargs})
