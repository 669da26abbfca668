"""Several classes: each inserted box carries a class drawn with Y's class frequencies."""
import json

import cv2
import numpy as np

from mmdgan.datasets.box_sampler import BoxPriorSampler


def _sampler(root, **kwargs):
    return BoxPriorSampler('train.json', num_boxes=(1, 3), region='any', data_root=str(root),
                           **kwargs)


def test_one_class_draws_are_unchanged_by_the_labels(demo_data):
    img = cv2.imread(str(demo_data / 'images' / 'clean_train_0000.png'), cv2.IMREAD_UNCHANGED)
    sampler = _sampler(demo_data)
    plain = [sampler.sample(img, np.random.default_rng(s)) for s in range(5)]
    labelled = [sampler.sample(img, np.random.default_rng(s), return_categories=True)
                for s in range(5)]
    for boxes, (same, cats) in zip(plain, labelled):
        assert np.array_equal(boxes, same) and set(cats.tolist()) == {1}


def test_classes_follow_y_frequencies_and_sizes(colour_data):
    train = json.loads((colour_data / 'train.json').read_text())
    cats = np.array([a['category_id'] for a in train['annotations']])
    sides = {c: np.mean([a['bbox'][2] for a in train['annotations'] if a['category_id'] == c])
             for c in (1, 2)}
    img = np.full((96, 96, 3), 128, np.uint8)
    sampler = _sampler(colour_data)
    rng = np.random.default_rng(0)
    drawn, widths = [], {1: [], 2: []}
    for _ in range(300):
        boxes, ids = sampler.sample(img, rng, return_categories=True)
        drawn += ids.tolist()
        for box, cid in zip(boxes, ids):
            widths[int(cid)].append(box[2] - box[0])
    share = np.mean(np.array(drawn) == 1)
    # Y's share of class 1, within sampling error of ~700 draws.
    assert abs(share - np.mean(cats == 1)) < 0.06
    for cid in (1, 2):
        assert abs(np.mean(widths[cid]) - sides[cid]) < 0.15 * sides[cid]


def test_one_target_class_takes_that_class_sizes_only(colour_data):
    sampler = _sampler(colour_data, classes=['square'])
    img = np.full((96, 96, 3), 128, np.uint8)
    _, ids = sampler.sample(img, np.random.default_rng(0), return_categories=True)
    assert set(ids.tolist()) == {2} and set(sampler.box_categories.tolist()) == {2}


def test_unpaired_dataset_labels_inserted_boxes_by_class(colour_data):
    from mmdgan.registry import DATASETS
    from mmdgan.utils import register_all_modules

    register_all_modules()
    load = dict(type='mmdet.LoadImageFromFile', color_type='color')
    pack = dict(type='mmdet.PackDetInputs')
    ds = DATASETS.build(dict(
        type='UnpairedDetDataset', data_root=str(colour_data),
        clean_ann_file='clean_train.json', labelled_ann_file='train.json',
        clean_pipeline=[load, pack],
        labelled_pipeline=[load, dict(type='mmdet.LoadAnnotations', with_bbox=True), pack],
        box_sampler=dict(type='BoxPriorSampler', ann_file='train.json', num_boxes=(2, 3),
                         region='any')))
    labels = set()
    for i in range(len(ds)):
        item = ds[i]
        assert item['clean']['inputs'].shape[0] == 3
        labels |= set(item['clean']['data_samples'].gt_instances.labels.tolist())
    assert labels == {0, 1}
