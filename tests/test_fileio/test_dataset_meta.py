"""A dataset folder describes itself: meta.json, or the same read off its files."""
import json
import shutil

import cv2
import pytest

from mmdgan.fileio.dataset_meta import META_FILE, dataset_meta, describe_dataset, read_meta_file


def test_demo_folders_describe_their_classes_and_channels(demo_data, colour_data):
    grey = json.loads((demo_data / META_FILE).read_text())
    colour = json.loads((colour_data / META_FILE).read_text())
    assert (grey['classes'], grey['channels'], grey['region']) == (['lesion'], 1, 'otsu')
    assert (colour['classes'], colour['channels'], colour['region']) == \
        (['disc', 'square'], 3, 'any')
    train = json.loads((colour_data / 'train.json').read_text())
    for cid, name in zip(colour['category_ids'], colour['classes']):
        count = sum(a['category_id'] == cid for a in train['annotations'])
        assert colour['train_boxes'][name]['count'] == count > 0
    # Discs are drawn smaller than squares, and the statistics say so.
    assert colour['train_boxes']['disc']['median_rel_wh'][0] < \
        colour['train_boxes']['square']['median_rel_wh'][0]


def test_a_folder_of_another_tool_is_described_from_its_files(colour_data, tmp_path):
    root = tmp_path / 'other'
    shutil.copytree(colour_data, root)
    (root / META_FILE).unlink()
    for name in ('clean_train.json', 'clean_val.json', 'clean_test.json', 'val.json'):
        (root / name).unlink()  # no clean images, no validation split
    meta = dataset_meta(root)
    assert meta['classes'] == ['disc', 'square'] and meta['channels'] == 3
    assert set(meta['files']) == {'train.json', 'test.json'}


def test_mixed_channels_and_mismatched_classes_are_named(colour_data, tmp_path):
    root = tmp_path / 'mixed'
    shutil.copytree(colour_data, root)
    coco = json.loads((root / 'test.json').read_text())
    for info in coco['images']:  # a grey test split: some of it is probed
        path = root / info['file_name']
        cv2.imwrite(str(path), cv2.cvtColor(cv2.imread(str(path)), cv2.COLOR_BGR2GRAY))
    with pytest.raises(ValueError, match='grey .* and colour .* in one dataset'):
        describe_dataset(root)
    for info in coco['images']:
        shutil.copy(colour_data / info['file_name'], root / info['file_name'])
    coco['categories'][0]['name'] = 'plate'
    (root / 'test.json').write_text(json.dumps(coco))
    with pytest.raises(ValueError, match='test.json: categories .* differ'):
        describe_dataset(root)


def test_a_foreign_meta_file_is_refused(tmp_path):
    (tmp_path / META_FILE).write_text(json.dumps({'classes': ['a']}))
    with pytest.raises(ValueError, match='not an mmdgan dataset description'):
        read_meta_file(tmp_path / META_FILE)
    assert read_meta_file(tmp_path / 'absent.json') is None
