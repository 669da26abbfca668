"""Copy-paste baseline: output format, blending and border handling."""
import json

import cv2
import numpy as np
import pytest

from mmdgan.synthesis import copy_paste_synthesize
from mmdgan.synthesis.copy_paste import feather_alpha, poisson_paste


@pytest.mark.parametrize('blend', ['poisson', 'feather'])
def test_copy_paste_dataset_format(demo_data, tmp_path, blend):
    out = tmp_path / 'cp'
    sampler = dict(type='BoxPriorSampler', ann_file='train.json', data_root=str(demo_data),
                   num_boxes=(1, 2))
    copy_paste_synthesize(str(demo_data / 'train.json'), str(demo_data / 'clean_train.json'),
                          num=5, out_dir=str(out), box_sampler=sampler, blend=blend, seed=1,
                          progress=False)
    coco = json.loads((out / 'train.json').read_text())
    y = json.loads((demo_data / 'train.json').read_text())
    assert coco['categories'] == y['categories']
    assert len(coco['images']) == 5 and coco['info']['method'] == 'copy-paste'
    assert len(coco['info']['sources']) == 5
    clean_names = {i['file_name'] for i in json.loads(
        (demo_data / 'clean_train.json').read_text())['images']}
    assert set(coco['info']['sources']) <= clean_names
    changed = 0
    for img_info, src in zip(coco['images'], coco['info']['sources']):
        img = cv2.imread(str(out / img_info['file_name']), cv2.IMREAD_UNCHANGED)
        clean = cv2.imread(str(demo_data / src), cv2.IMREAD_UNCHANGED)
        assert img.shape == clean.shape == (img_info['height'], img_info['width'])
        anns = [a for a in coco['annotations'] if a['image_id'] == img_info['id']]
        assert 1 <= len(anns) <= 2
        inside = np.zeros(img.shape, bool)
        for a in anns:
            x, y0, w, h = a['bbox']
            assert a['category_id'] == 1 and w >= 5 and h >= 5
            assert 0 <= x and x + w <= img.shape[1] and 0 <= y0 and y0 + h <= img.shape[0]
            inside[int(y0):int(y0 + h), int(x):int(x + w)] = True
        # Only the pasted boxes change.
        assert np.array_equal(img[~inside], clean[~inside])
        changed += int(np.abs(img[inside].astype(int) - clean[inside]).sum() > 0)
    # Poisson blending may leave a tiny (5 px) box almost as it was; most change.
    assert changed >= 3


@pytest.mark.parametrize('box', [(0, 0, 12, 10), (52, 54, 64, 64), (20, 30, 32, 44),
                                 (0, 40, 9, 49)])
def test_poisson_paste_grayscale_at_borders(box):
    rng = np.random.default_rng(0)
    dst = rng.integers(0, 60, (64, 64), dtype=np.uint8)
    h, w = box[3] - box[1], box[2] - box[0]
    yy, xx = np.mgrid[0:h, 0:w]
    bump = np.exp(-(((yy - (h - 1) / 2) / (h / 4)) ** 2 + ((xx - (w - 1) / 2) / (w / 4)) ** 2))
    patch = (30 + 200 * bump).astype(np.uint8)
    out = poisson_paste(dst, patch, box)
    assert out.shape == dst.shape and out.dtype == np.uint8
    x1, y1, x2, y2 = box
    outside = np.ones_like(dst, bool)
    outside[y1:y2, x1:x2] = False
    assert np.array_equal(out[outside], dst[outside])
    # The bump's gradients are carried over: its centre gets brighter.
    cy, cx = (y1 + y2) // 2, (x1 + x2) // 2
    assert int(out[cy, cx]) > int(dst[y1:y2, x1:x2].mean())


def test_feather_alpha_shape_and_ramp():
    alpha = feather_alpha(20, 10)
    assert alpha.shape == (20, 10)
    assert alpha[10, 5] == 1.0 and alpha[0, 0] < 0.3
    np.testing.assert_allclose(alpha, alpha[::-1, ::-1])


def test_copy_paste_bad_inputs(demo_data, tmp_path):
    sampler = dict(type='BoxPriorSampler', ann_file=str(demo_data / 'train.json'))
    with pytest.raises(ValueError, match='blend'):
        copy_paste_synthesize(str(demo_data / 'train.json'),
                              str(demo_data / 'clean_train.json'), 1, str(tmp_path / 'o'),
                              sampler, blend='magic')
    with pytest.raises(FileNotFoundError, match='nope.json'):
        copy_paste_synthesize(str(demo_data / 'train.json'), str(tmp_path / 'nope.json'), 1,
                              str(tmp_path / 'o'), sampler)
    assert not (tmp_path / 'o').exists()


def test_copy_paste_malformed_annotation_is_named(demo_data, malformed_train_json, tmp_path):
    sampler = dict(type='BoxPriorSampler', ann_file=str(demo_data / 'train.json'))
    with pytest.raises(ValueError, match=r'train\.json: annotation 1 is malformed'):
        copy_paste_synthesize(str(malformed_train_json), str(demo_data / 'clean_train.json'), 1,
                              str(tmp_path / 'o'), sampler)
    assert not (tmp_path / 'o').exists()


#: BGR colour of the images each class's real boxes lie on (and of a crowd box).
RED, BLUE, GREEN = (0, 0, 255), (255, 0, 0), (0, 255, 0)


def _two_class_folder(root):
    """Y: three class-``a`` boxes on red images, one class-``b`` box on a blue
    one, an ignored (crowd) class-``b`` box on a green one; X: grey images."""
    from mmdgan.fileio import ImageRecord, make_coco
    (root / 'images').mkdir(parents=True)
    size, labelled, clean = 32, [], []
    for i, (colour, cat, crowd) in enumerate([(RED, 1, False)] * 3 + [(BLUE, 2, False),
                                                                     (GREEN, 2, True)]):
        cv2.imwrite(str(root / 'images' / f'y{i}.png'), np.full((size, size, 3), colour,
                                                                 np.uint8))
        box = (4, 4, 12, 12, cat)
        labelled.append(ImageRecord(f'images/y{i}.png', size, size,
                                    [] if crowd else [box], [box] if crowd else []))
    for i in range(3):
        cv2.imwrite(str(root / 'images' / f'x{i}.png'), np.full((2 * size, 2 * size, 3), 128,
                                                                 np.uint8))
        clean.append(ImageRecord(f'images/x{i}.png', 2 * size, 2 * size))
    (root / 'train.json').write_text(json.dumps(make_coco(labelled, ['a', 'b'])))
    (root / 'clean_train.json').write_text(json.dumps(make_coco(clean, ['a', 'b'])))
    return root


def _centre_colours(out):
    coco = json.loads((out / 'train.json').read_text())
    pairs = []
    for a in coco['annotations']:
        img = next(i for i in coco['images'] if i['id'] == a['image_id'])
        x, y, w, h = a['bbox']
        pixel = cv2.imread(str(out / img['file_name']))[int(y + h / 2), int(x + w / 2)]
        pairs.append((a['category_id'], tuple(int(v) for v in pixel)))
    return coco, pairs


def test_several_classes_paste_crops_of_each_box_class(tmp_path):
    root = _two_class_folder(tmp_path / 'data')
    sampler = dict(type='BoxPriorSampler', ann_file=str(root / 'train.json'), region='any',
                   num_boxes=(2, 2))
    out = tmp_path / 'cp'
    copy_paste_synthesize(str(root / 'train.json'), str(root / 'clean_train.json'), num=60,
                          out_dir=str(out), box_sampler=sampler, blend='feather', seed=0,
                          progress=False)
    coco, pairs = _centre_colours(out)
    assert [c['name'] for c in coco['categories']] == ['a', 'b']
    # Each box's crop is a real box of its own class; the crowd box is never copied.
    assert {cat: colour for cat, colour in pairs} == {1: RED, 2: BLUE}
    assert all(colour == (RED if cat == 1 else BLUE) for cat, colour in pairs)
    # Classes come with Y's frequencies (3 : 1 among the boxes that are not ignored).
    share = sum(cat == 1 for cat, _ in pairs) / len(pairs)
    assert len(pairs) == 120 and abs(share - 0.75) < 0.1


def test_a_named_target_class_pastes_only_that_class(tmp_path):
    root = _two_class_folder(tmp_path / 'data')
    out = tmp_path / 'cp'
    copy_paste_synthesize(str(root / 'train.json'), str(root / 'clean_train.json'), num=6,
                          out_dir=str(out), blend='feather', target_class='b', seed=0,
                          progress=False)
    _, pairs = _centre_colours(out)
    assert pairs and set(pairs) == {(2, BLUE)}


def test_a_class_without_crops_is_named(tmp_path):
    from mmdgan.synthesis import CopyPasteSynthesizer, build_box_sampler
    root = _two_class_folder(tmp_path / 'data')
    coco = json.loads((root / 'train.json').read_text())
    coco['annotations'] = [a for a in coco['annotations'] if a['category_id'] == 1]
    only_a = root / 'only_a.json'
    only_a.write_text(json.dumps(coco))
    # The sampler knows class b's boxes; the crop bank does not.
    sampler = build_box_sampler(dict(type='BoxPriorSampler', ann_file=str(root / 'train.json'),
                                     region='any'))
    synth = CopyPasteSynthesizer(only_a, sampler, 'feather')
    img = np.full((32, 32, 3), 128, np.uint8)
    with pytest.raises(ValueError, match="drew class 'b', of which the file has no box"):
        synth.paste(img, np.array([[2.0, 2.0, 12.0, 12.0]]), np.random.default_rng(0), [2])
