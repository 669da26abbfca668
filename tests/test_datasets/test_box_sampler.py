"""BoxPriorSampler: boxes inside region and image, disjoint, sizes follow Y's prior."""
import json

import cv2
import numpy as np
import pytest
from scipy.stats import ks_2samp

from mmdgan.datasets.box_sampler import BoxPriorSampler, load_relative_box_sizes, otsu_region
from mmdgan.registry import TASK_UTILS


def _clean_images(root, n=8):
    coco = json.loads((root / 'clean_train.json').read_text())
    return [cv2.imread(str(root / i['file_name']), cv2.IMREAD_UNCHANGED)
            for i in coco['images'][:n]]


def _pixels(box, shape):
    """Boolean map of the pixels a continuous xyxy box touches."""
    h, w = shape
    x1, y1, x2, y2 = box
    out = np.zeros((h, w), bool)
    out[int(np.floor(y1)):min(int(np.ceil(y2)), h), int(np.floor(x1)):min(int(np.ceil(x2)), w)] = 1
    return out


def test_boxes_inside_region_image_and_disjoint(demo_data):
    sampler = TASK_UTILS.build(dict(type='BoxPriorSampler', ann_file='train.json',
                                    data_root=str(demo_data), num_boxes=(1, 3)))
    rng = np.random.default_rng(0)
    counts = set()
    for img in _clean_images(demo_data):
        region = otsu_region(img)
        assert 0.2 < region.mean() < 0.9  # the breast, not the whole image
        for _ in range(5):
            boxes = sampler.sample(img, rng)
            assert boxes.dtype == np.float32 and boxes.shape[1] == 4
            counts.add(len(boxes))
            h, w = img.shape
            assert (boxes[:, :2] >= 0).all() and (boxes[:, 2] <= w).all()
            assert (boxes[:, 3] <= h).all() and (boxes[:, 2:] > boxes[:, :2]).all()
            for i, b in enumerate(boxes):
                assert region[_pixels(b, (h, w))].all()
                for c in boxes[i + 1:]:
                    assert b[2] <= c[0] or c[2] <= b[0] or b[3] <= c[1] or c[3] <= b[1]
    assert counts == {1, 2, 3}


@pytest.mark.parametrize('region', ['full', 'otsu'])
def test_box_size_distribution_matches_prior(demo_data, region):
    sampler = BoxPriorSampler(str(demo_data / 'train.json'), num_boxes=1, region=region)
    prior = load_relative_box_sizes(demo_data / 'train.json')
    rng = np.random.default_rng(123)
    images = _clean_images(demo_data, 4)
    drawn = []
    for i in range(300):
        img = images[i % len(images)]
        (x1, y1, x2, y2), = sampler.sample(img, rng)
        drawn.append(((x2 - x1) / img.shape[1], (y2 - y1) / img.shape[0]))
    drawn = np.asarray(drawn)
    for axis in (0, 1):
        assert ks_2samp(drawn[:, axis], prior[:, axis]).pvalue > 0.05
    # And it is really the prior, not any distribution: a shifted prior is rejected.
    assert ks_2samp(drawn[:, 0], prior[:, 0] * 2.0).pvalue < 0.01


def test_mask_region(demo_data):
    img = _clean_images(demo_data, 1)[0]
    mask = np.zeros(img.shape, bool)
    mask[10:60, 20:80] = True
    sampler = BoxPriorSampler(str(demo_data / 'train.json'), num_boxes=2, region='mask')
    rng = np.random.default_rng(1)
    for _ in range(10):
        for b in sampler.sample(img, rng, mask=mask):
            assert mask[_pixels(b, img.shape)].all()
    with pytest.raises(ValueError, match="region='mask' but no mask"):
        sampler.sample(img, rng)
    with pytest.raises(ValueError, match='mask shape'):
        sampler.sample(img, rng, mask=mask[:10])


def test_mask_dir(demo_data, tmp_path):
    img = _clean_images(demo_data, 1)[0]
    mask = np.zeros(img.shape, np.uint8)
    mask[30:90, 5:70] = 255
    cv2.imwrite(str(tmp_path / 'clean_train_0000.png'), mask)
    sampler = BoxPriorSampler(str(demo_data / 'train.json'), region='mask', mask_dir=tmp_path)
    loaded = sampler.load_mask('images/clean_train_0000.png')
    assert (loaded == (mask > 0)).all()
    with pytest.raises(FileNotFoundError, match='mask of images/other.png not found'):
        sampler.load_mask('images/other.png')


def test_errors(demo_data, tmp_path):
    img = _clean_images(demo_data, 1)[0]
    tiny = np.zeros(img.shape, bool)
    tiny[0:2, 0:2] = True
    sampler = BoxPriorSampler(str(demo_data / 'train.json'), region='mask', max_tries=5)
    with pytest.raises(RuntimeError, match='no valid position for box 1/1 .* after 5 tries'):
        sampler.sample(img, np.random.default_rng(0), mask=tiny)
    with pytest.raises(FileNotFoundError, match='annotation file not found'):
        BoxPriorSampler(str(tmp_path / 'nope.json'))
    with pytest.raises(ValueError, match='no box of positive size'):
        BoxPriorSampler(str(demo_data / 'clean_train.json'))
    with pytest.raises(ValueError, match='region must be one of'):
        BoxPriorSampler(str(demo_data / 'train.json'), region='lungs')
    with pytest.raises(ValueError, match='num_boxes'):
        BoxPriorSampler(str(demo_data / 'train.json'), num_boxes=(3, 1))


def test_malformed_annotation_is_named(malformed_train_json):
    with pytest.raises(ValueError, match=r'train\.json: annotation 1 is malformed') as info:
        load_relative_box_sizes(malformed_train_json)
    assert '\n' not in str(info.value)


def test_otsu_largest_keeps_the_body_and_drops_film_labels(demo_data):
    # A film: a large body on a dark background plus a small bright label apart from it.
    img = np.full((128, 128), 10, np.uint8)
    cv2.ellipse(img, (40, 64), (36, 56), 0, 0, 360, 170, -1)
    img[10:22, 100:122] = 250
    label = np.zeros(img.shape, bool)
    label[10:22, 100:122] = True
    assert otsu_region(img)[label].all()  # plain Otsu keeps the label

    sampler = BoxPriorSampler(str(demo_data / 'train.json'), num_boxes=1, region='otsu_largest',
                              min_inside=1.0)
    region = sampler.region_of(img)
    assert not region[label].any()
    assert region[64, 40] and region.sum() == (otsu_region(img) & ~label).sum()
    rng = np.random.default_rng(0)
    for _ in range(50):
        box, = sampler.sample(img, rng)
        assert region[_pixels(box, img.shape)].all()
