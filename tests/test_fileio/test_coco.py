"""mmdgan.fileio.coco: one COCO reader with one error style."""
import pytest

from mmdgan.fileio import ImageRecord, coco_records, load_coco, make_coco


def test_round_trip(tmp_path):
    coco = make_coco([ImageRecord('a.png', 10, 8, [(1, 2, 4, 6, 1)]), ImageRecord('b.png', 4, 4)],
                     ['lesion'])
    assert coco['annotations'] == [dict(id=1, image_id=1, category_id=1, bbox=[1, 2, 3, 4],
                                        area=12, iscrowd=0)]
    assert [i['id'] for i in coco['images']] == [1, 2]
    assert coco_records(coco) == [ImageRecord('a.png', 10, 8, [(1, 2, 4, 6, 1)]),
                                  ImageRecord('b.png', 4, 4)]


@pytest.mark.parametrize('change, message', [
    (lambda c: c['annotations'][0].pop('bbox'), r"annotation 1 is malformed \(KeyError: 'bbox'"),
    (lambda c: c['annotations'][0].update(bbox=[1, 2]), r'annotation 1 is malformed \(ValueError'),
    (lambda c: c['annotations'][0].update(image_id=9), r'annotation 1 is malformed \(KeyError: 9'),
    (lambda c: c['images'][1].pop('width'), r"an image entry lacks 'width'"),
])
def test_records_name_the_file_and_the_bad_entry(change, message):
    coco = make_coco([ImageRecord('a.png', 10, 8, [(1, 2, 4, 6, 1)]), ImageRecord('b.png', 4, 4)],
                     ['lesion'])
    change(coco)
    with pytest.raises(ValueError, match=r'^train\.json: ' + message) as info:
        coco_records(coco, 'train.json')
    assert '\n' not in str(info.value)


@pytest.mark.parametrize('text, error, message', [
    (None, FileNotFoundError, r'train file not found: .*train\.json'),
    ('{"images": [', ValueError, r'train file .*train\.json is not valid json'),
    ('[]', ValueError, r'train file .*train\.json is not a COCO dict'),
    ('{"images": []}', ValueError, r'train file .*train\.json has no "categories" list'),
])
def test_errors_name_the_file_in_one_line(tmp_path, text, error, message):
    path = tmp_path / 'train.json'
    if text is not None:
        path.write_text(text)
    with pytest.raises(error, match=message) as info:
        load_coco(path, 'train file')
    assert '\n' not in str(info.value)
    if text == '{"images": []}':
        assert load_coco(path, keys=('images',)) == {'images': []}
