"""UnpairedDetDataset + UnpairedDataPreprocessor through an mmengine DataLoader."""
import copy
import json
import pickle
from pathlib import Path

import numpy as np
import pytest
import torch
from mmengine.config import Config
from mmengine.dataset import DefaultSampler, pseudo_collate
from torch.utils.data import DataLoader

from mmdgan.datasets.box_sampler import otsu_region
from mmdgan.models.data_preprocessors import UnpairedDataPreprocessor
from mmdgan.registry import DATASETS, MODELS
from mmdgan.utils import register_all_modules

CONFIG = Path(__file__).resolve().parents[2] / 'configs/_base_/datasets/demo_unpaired.py'


@pytest.fixture(scope='module')
def dataset_cfg(demo_data):
    register_all_modules()
    cfg = copy.deepcopy(Config.fromfile(str(CONFIG)).train_dataloader.dataset)
    cfg.data_root = str(demo_data)
    for pipe in (cfg.clean_pipeline, cfg.labelled_pipeline):
        for t in pipe:
            if t['type'].endswith('Resize'):
                t['scale'] = (64, 64)
    return cfg


def _build(cfg, **overrides):
    cfg = copy.deepcopy(cfg)
    cfg.update(overrides)
    return DATASETS.build(cfg)


def test_items(dataset_cfg, demo_data):
    ds = _build(dataset_cfg)
    n_x = len(json.loads((demo_data / 'clean_train.json').read_text())['images'])
    n_y = len(json.loads((demo_data / 'train.json').read_text())['images'])
    assert len(ds) == max(n_x, n_y) and ds.metainfo['classes'] == ('lesion', )
    seen_y = set()
    for i in range(len(ds)):
        item = ds[i]
        clean, lab = item['clean'], item['labelled']
        assert clean['inputs'].dtype == torch.uint8 and clean['inputs'].shape == (1, 64, 64)
        assert lab['inputs'].shape[0] == 1
        gt = clean['data_samples'].gt_instances
        assert 1 <= len(gt.bboxes) <= 2 and (gt.labels == 0).all()
        assert len(lab['data_samples'].gt_instances.bboxes) >= 1
        seen_y.add(lab['data_samples'].img_path)
    assert len(seen_y) == n_y  # every labelled image is visited
    assert pickle.loads(pickle.dumps(ds)).box_sampler.rel_sizes.shape[1] == 2


def _with_flip_prob(cfg, prob):
    cfg = copy.deepcopy(cfg)
    for t in cfg.clean_pipeline:
        if t['type'].endswith('RandomFlip'):
            t['prob'] = prob
    return cfg


def test_boxes_follow_geometric_transforms(dataset_cfg):
    """Boxes sampled in the Otsu foreground stay on the foreground after resize + flip."""
    ds = _build(_with_flip_prob(dataset_cfg, 1.0))
    for i in range(6):
        sample = ds[i]['clean']
        assert sample['data_samples'].flip
        img = sample['inputs'][0].numpy()
        region = otsu_region(img)
        for x1, y1, x2, y2 in sample['data_samples'].gt_instances.bboxes.tensor.tolist():
            inside = region[int(y1):int(np.ceil(y2)), int(x1):int(np.ceil(x2))]
            assert inside.mean() > 0.9


def test_reproducible_sampling(dataset_cfg):
    # Flips draw from the global numpy RNG (seeded per worker by mmengine): fix them here.
    cfg = _with_flip_prob(dataset_cfg, 0.0)
    a, b = _build(cfg), _build(cfg)
    boxes = [d[3]['clean']['data_samples'].gt_instances.bboxes.tensor for d in (a, b)]
    assert torch.equal(*boxes)
    # A second visit of the same item (next epoch) gets new boxes.
    again = a[3]['clean']['data_samples'].gt_instances.bboxes.tensor
    assert again.shape != boxes[0].shape or not torch.equal(again, boxes[0])


def _expected_mask(boxes, shape):
    """Pixels whose centre is inside a box, computed independently."""
    h, w = shape
    cy, cx = np.mgrid[0:h, 0:w] + 0.5
    out = np.zeros((h, w), bool)
    for x1, y1, x2, y2 in boxes:
        out |= (cx >= x1) & (cx < x2) & (cy >= y1) & (cy < y2)
    return out


def test_dataloader_workers_and_preprocessor(dataset_cfg):
    ds = _build(dataset_cfg)
    loader = DataLoader(ds, batch_size=3, num_workers=2, collate_fn=pseudo_collate,
                        sampler=DefaultSampler(ds, shuffle=True, seed=0))
    pre = MODELS.build(dict(type='UnpairedDataPreprocessor', pad_size_divisor=32))
    assert isinstance(pre, UnpairedDataPreprocessor)
    batches = 0
    for data in loader:
        out = pre(data, training=True)
        for branch in ('clean', 'labelled'):
            inputs, masks = out[branch]['inputs'], out[branch]['masks']
            assert inputs.dtype == torch.float32 and inputs.shape[1] == 1
            assert inputs.shape[-2] % 32 == 0 and inputs.shape[-1] % 32 == 0
            assert inputs.min() >= -1 and inputs.max() <= 1
            assert masks.shape == (inputs.shape[0], 1, *inputs.shape[-2:])
            raw = data[branch]['inputs']
            for k, sample in enumerate(out[branch]['data_samples']):
                assert sample.batch_input_shape == tuple(inputs.shape[-2:])
                assert sample.pad_shape == tuple(inputs.shape[-2:])
                h, w = raw[k].shape[-2:]
                expected = raw[k].float() / 127.5 - 1
                assert torch.allclose(inputs[k, :, :h, :w], expected)
                boxes = sample.gt_instances.bboxes.tensor.numpy()
                np.testing.assert_array_equal(
                    masks[k, 0].numpy().astype(bool), _expected_mask(boxes, masks.shape[-2:]))
                assert masks[k].sum() > 0
        batches += 1
    assert batches == -(-len(ds) // 3)


def test_preprocessor_masks_tiny_and_edge_boxes():
    from mmdet.structures import DetDataSample
    from mmengine.structures import InstanceData
    pre = UnpairedDataPreprocessor()
    samples = []
    for boxes in ([[2.0, 3.0, 5.0, 4.0], [10.2, 10.2, 10.4, 10.4]], [[14.0, 0.0, 20.0, 2.0]]):
        s = DetDataSample()
        s.gt_instances = InstanceData(bboxes=torch.tensor(boxes))
        samples.append(s)
    imgs = [torch.zeros(1, 16, 16, dtype=torch.uint8),
            torch.full((1, 12, 16), 255, dtype=torch.uint8)]
    out = pre(dict(clean=dict(inputs=imgs, data_samples=samples),
                   labelled=dict(inputs=imgs, data_samples=samples)))
    masks = out['clean']['masks']
    assert masks[0, 0, 3, 2:5].tolist() == [1, 1, 1] and masks[0, 0].sum() == 3 + 1
    assert masks[0, 0, 10, 10] == 1  # a sub-pixel box still marks its pixel
    assert masks[1, 0, 0:2, 14:16].sum() == 4 and masks[1, 0].sum() == 4  # clipped at the edge
    assert out['clean']['inputs'][1, 0, 12:].eq(-1).all()  # padding is black
    assert out['clean']['inputs'][1, 0, :12].eq(1).all()


def test_bad_inputs(dataset_cfg, demo_data, tmp_path):
    empty = tmp_path / 'empty.json'
    coco = json.loads((demo_data / 'clean_train.json').read_text())
    empty.write_text(json.dumps({**coco, 'images': []}))
    with pytest.raises(ValueError, match=r'the clean \(X\) set is empty'):
        _build(dataset_cfg, clean_ann_file=str(empty))
    with pytest.raises(ValueError, match=r'the labelled \(Y\) set is empty'):
        _build(dataset_cfg, labelled_ann_file=str(demo_data / 'clean_val.json'))
    with pytest.raises(FileNotFoundError, match='clean \\(X\\) annotation file not found'):
        _build(dataset_cfg, clean_ann_file='nope.json')
    with pytest.raises(ValueError, match="target_class 'mass'"):
        _build(dataset_cfg, target_class='mass')
    # Missing and corrupt images name the file.
    broken = dict(coco, images=[dict(coco['images'][0], file_name='images/missing.png'),
                                dict(coco['images'][1], id=99, file_name='bad.png')])
    (tmp_path / 'broken.json').write_text(json.dumps(broken))
    (tmp_path / 'bad.png').write_bytes(b'not a png')
    cfg = copy.deepcopy(dataset_cfg)
    cfg.box_sampler.ann_file = str(demo_data / 'train.json')
    ds = _build(cfg, data_root=str(tmp_path), labelled_ann_file=str(demo_data / 'train.json'),
                clean_ann_file='broken.json')
    with pytest.raises(FileNotFoundError, match=r'clean image not found: .*missing\.png'):
        ds[0]
    with pytest.raises(ValueError, match=r'failed to load/transform clean image .*bad\.png'):
        ds[1]


@pytest.mark.parametrize('which', ['clean_ann_file', 'labelled_ann_file'])
@pytest.mark.parametrize('file_name', ['../../etc/passwd', '/etc/passwd'])
def test_images_outside_the_dataset_folder_are_refused(dataset_cfg, demo_data, tmp_path,
                                                       which, file_name):
    """Issue 34.10: an escaping ``file_name`` was read from outside the folder, silently."""
    source = 'clean_train.json' if which == 'clean_ann_file' else 'train.json'
    coco = json.loads((demo_data / source).read_text())
    coco['images'][1]['file_name'] = file_name
    (tmp_path / source).write_text(json.dumps(coco))
    with pytest.raises(ValueError, match=rf"{source}: file_name '{file_name}' .*outside.*"
                       '--allow-outside-root'):
        _build(dataset_cfg, **{which: str(tmp_path / source)})
    # The explicit opt-in reads it.
    _build(dataset_cfg, allow_outside_root=True, **{which: str(tmp_path / source)})


def test_invalid_json_names_the_file(dataset_cfg, tmp_path):
    """Issue 13.7: an invalid train.json used to raise a bare JSONDecodeError."""
    (tmp_path / 'train.json').write_text('{"images": [')
    with pytest.raises(ValueError, match=r'labelled \(Y\) annotation file .*train\.json is not '
                       'valid json') as info:
        _build(dataset_cfg, labelled_ann_file=str(tmp_path / 'train.json'))
    assert '\n' not in str(info.value)


def test_malformed_annotation_is_named(dataset_cfg, malformed_train_json):
    with pytest.raises(ValueError, match=r'train\.json: annotation 1 is malformed'):
        _build(dataset_cfg, labelled_ann_file=str(malformed_train_json))


def test_boxes_that_train_nothing_are_reported(dataset_cfg, demo_data, tmp_path):
    """Issue 13.6: mmdet drops zero-area and outside boxes silently; the dataset says so."""
    coco = json.loads((demo_data / 'train.json').read_text())
    first, second = coco['annotations'][:2]
    width = next(i['width'] for i in coco['images'] if i['id'] == second['image_id'])
    first['bbox'] = [10, 10, 0, 5]
    second['bbox'] = [width + 5, 3, 10, 10]
    (tmp_path / 'train.json').write_text(json.dumps(coco))
    with pytest.warns(UserWarning, match=rf"train\.json: 2 box\(es\) train nothing .*"
                      rf"{first['id']} \(no area\), {second['id']} \(outside the image\)"):
        _build(dataset_cfg, labelled_ann_file=str(tmp_path / 'train.json'))


def test_rgb_image_in_a_grayscale_set_is_named(dataset_cfg, demo_data, tmp_path):
    """Issue 13.7: a stray RGB file used to fail in collation without a name."""
    import cv2
    coco = json.loads((demo_data / 'clean_train.json').read_text())
    gray = cv2.imread(str(demo_data / coco['images'][1]['file_name']), cv2.IMREAD_UNCHANGED)
    cv2.imwrite(str(tmp_path / 'rgb.png'), cv2.cvtColor(gray, cv2.COLOR_GRAY2BGR))
    coco['images'][1]['file_name'] = str(tmp_path / 'rgb.png')
    (tmp_path / 'clean.json').write_text(json.dumps(coco))
    ds = _build(dataset_cfg, clean_ann_file=str(tmp_path / 'clean.json'),
                allow_outside_root=True)
    ds[0]
    with pytest.raises(ValueError, match=r'clean image .*rgb\.png has 3 channel\(s\), the '
                       'images before it have 1'):
        ds[1]
