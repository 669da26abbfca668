"""VOC ``<difficult>`` objects: ignored boxes (COCO ``iscrowd=1``) everywhere.

mmdet ignores them in training (``ignore_flag``) and evaluation (crowd regions
of ``CocoMetric``); mmdgan's own readers (box prior, unpaired dataset, folds,
insertion quality, clean crops, meta) never take them for objects; with
``--keep-difficult`` they are ordinary boxes.
"""
import json

import cv2
import numpy as np
import pytest
import torch

from mmdgan.datasets.converters.voc import convert_voc
from mmdgan.fileio.dataset_folder import SPLITS

SIZE = 64
OBJECT, DIFFICULT = (10, 10, 30, 30), (40, 40, 60, 60)


def _xml(name, objects):
    objs = ''.join(
        f'<object><name>cat</name><difficult>{int(hard)}</difficult><bndbox>'
        f'<xmin>{b[0] + 1}</xmin><ymin>{b[1] + 1}</ymin><xmax>{b[2]}</xmax><ymax>{b[3]}</ymax>'
        '</bndbox></object>' for b, hard in objects)
    return (f'<annotation><filename>{name}</filename><size><width>{SIZE}</width><height>{SIZE}'
            f'</height><depth>3</depth></size>{objs}</annotation>')


def write_voc(root):
    """Six images with an object and a difficult one, two with only a difficult
    one, four without any (clean)."""
    (root / 'Annotations').mkdir(parents=True)
    (root / 'JPEGImages').mkdir()
    rng = np.random.default_rng(0)
    for i in range(12):
        objects = ([(OBJECT, False), (DIFFICULT, True)] if i < 6
                   else [(DIFFICULT, True)] if i < 8 else [])
        cv2.imwrite(str(root / 'JPEGImages' / f'{i:02d}.png'),
                    rng.integers(0, 255, (SIZE, SIZE, 3), dtype=np.uint8))
        (root / 'Annotations' / f'{i:02d}.xml').write_text(_xml(f'{i:02d}.png', objects))
    return root


@pytest.fixture(scope='module')
def converted(tmp_path_factory):
    tmp = tmp_path_factory.mktemp('difficult')
    src = write_voc(tmp / 'voc')
    out = {}
    for keep in (False, True):
        out[keep] = (tmp / f'out_{keep}',
                     *convert_voc(src, tmp / f'out_{keep}', ['cat'], keep_difficult=keep))
    return out


def _annotations(root, labelled=True):
    anns, images = [], []
    for split in SPLITS:
        coco = json.loads((root / f'{"" if labelled else "clean_"}{split}.json').read_text())
        anns += coco['annotations']
        images += [img['file_name'] for img in coco['images']]
    return anns, images


def test_difficult_objects_become_ignored_boxes(converted):
    root, counts, stats = converted[False]
    anns, labelled = _annotations(root)
    crowd = [a for a in anns if a['iscrowd']]
    assert len(crowd) == 8 and len(anns) == 14
    assert all([round(v) for v in a['bbox']] == [40, 40, 20, 20] for a in crowd)
    # Images with only difficult objects are labelled (Y), never clean.
    assert {'images/06.png', 'images/07.png'} <= set(labelled)
    assert len(_annotations(root, labelled=False)[1]) == 4
    assert stats.ignored == 8 and sum(counts[f'{s}.json'][1] for s in SPLITS) == 6
    meta = json.loads((root / 'meta.json').read_text())
    train_crowd = sum(a['iscrowd'] for a in json.loads((root / 'train.json').read_text())
                      ['annotations'])
    assert meta['train_boxes']['cat'].get('ignored', 0) == train_crowd > 0
    assert meta['train_boxes']['cat']['max_rel_wh'] == [20 / SIZE] * 2


def test_keep_difficult_writes_ordinary_boxes(converted, tmp_path, capsys):
    root, counts, stats = converted[True]
    anns, _ = _annotations(root)
    assert len(anns) == 14 and not any(a['iscrowd'] for a in anns) and stats.ignored == 0
    assert sum(counts[f'{s}.json'][1] for s in SPLITS) == 14
    from tools.dataset_converters.voc import main
    main([str(root.parent / 'voc'), '--classes', 'cat', '--out', str(tmp_path / 'cli'),
          '--keep-difficult'])
    assert 'ignored' not in capsys.readouterr().out
    main([str(root.parent / 'voc'), '--classes', 'cat', '--out', str(tmp_path / 'cli2')])
    assert 'ignored in training and evaluation (iscrowd=1: difficult): 8' in \
        capsys.readouterr().out


def test_a_bad_difficult_flag_is_named(tmp_path):
    src = write_voc(tmp_path / 'voc')
    (src / 'Annotations' / '00.xml').write_text(
        _xml('00.png', [(OBJECT, False)]).replace('<difficult>0', '<difficult>yes'))
    with pytest.raises(ValueError, match=r"00.xml: object 1 \(cat\): <difficult> 'yes'"):
        convert_voc(src, tmp_path / 'out', ['cat'])


def test_mmdet_ignores_them_in_training(converted):
    from mmdet.datasets import CocoDataset
    from mmdet.datasets.transforms import LoadAnnotations, PackDetInputs

    root = converted[False][0]
    dataset = CocoDataset(data_root=str(root), ann_file='train.json', data_prefix=dict(img=''),
                          metainfo=dict(classes=('cat', )), filter_cfg=None, pipeline=[])
    flags = [inst['ignore_flag'] for i in range(len(dataset))
             for inst in dataset.get_data_info(i)['instances']]
    assert sorted(set(flags)) == [0, 1]
    info = next(dataset.get_data_info(i) for i in range(len(dataset))
                if len(dataset.get_data_info(i)['instances']) == 2)
    info['img'] = np.zeros((SIZE, SIZE, 3), np.uint8)
    info['img_shape'] = info['ori_shape'] = (SIZE, SIZE)
    packed = PackDetInputs()(LoadAnnotations(with_bbox=True)(info))['data_samples']
    assert packed.gt_instances.bboxes.tensor.tolist() == [list(map(float, OBJECT))]
    assert packed.ignored_instances.bboxes.tensor.tolist() == [list(map(float, DIFFICULT))]


@pytest.mark.parametrize('keep', [False, True])
def test_coco_metric_treats_them_as_crowd(converted, keep):
    """Detections at every object and at every difficult object: a perfect score
    when the difficult ones are ignored; with --keep-difficult they are objects
    too, and finding only the ordinary ones halves the recall of those images."""
    from mmdet.evaluation import CocoMetric

    root = converted[keep][0]
    coco = json.loads((root / 'train.json').read_text())
    metric = CocoMetric(ann_file=str(root / 'train.json'), metric='bbox')
    metric.dataset_meta = dict(classes=('cat', ))
    samples = []
    for img in coco['images']:
        boxes = [OBJECT] * any(not a['iscrowd'] and a['bbox'][0] < 20 for a in coco['annotations']
                               if a['image_id'] == img['id'])
        boxes += [DIFFICULT] if not keep else []
        samples.append(dict(img_id=img['id'], ori_shape=(SIZE, SIZE), pred_instances=dict(
            bboxes=torch.tensor(boxes, dtype=torch.float32).reshape(-1, 4),
            scores=torch.full((len(boxes), ), 0.9),
            labels=torch.zeros(len(boxes), dtype=torch.long))))
    metric.process({}, samples)
    result = metric.compute_metrics(metric.results)
    if keep:
        assert result['bbox_mAP_50'] < 0.7
    else:
        assert result['bbox_mAP_50'] == pytest.approx(1.0)


def test_project_readers_never_take_them_for_objects(converted, monkeypatch):
    from mmdgan.datasets.box_sampler import load_box_prior
    from mmdgan.datasets.folds import IGNORED_ONLY, DatasetPool, pool_films
    from mmdgan.evaluation.insertion_quality import coco_crops
    from mmdgan.fileio import clean_crops
    from mmdgan.registry import DATASETS
    from mmdgan.utils import register_all_modules

    root = converted[False][0]
    train = json.loads((root / 'train.json').read_text())
    objects = [a for a in train['annotations'] if not a['iscrowd']]
    # Box-size prior: only the ordinary boxes.
    sizes, _ = load_box_prior(root / 'train.json')
    assert len(sizes) == len(objects) and np.allclose(sizes, 20 / SIZE)
    # Insertion quality's real crops.
    _, boxes = coco_crops(root / 'train.json')
    assert sum(len(b) for b in boxes) == len(objects)
    assert all(b.tolist() == [list(map(float, OBJECT))] for b in boxes)
    # Folds: a film with only difficult objects is labelled, in its own stratum.
    films = {f.file_name: f for f in pool_films(DatasetPool(root))}
    assert films['images/06.png'].labelled and films['images/06.png'].stratum == IGNORED_ONLY
    assert films['images/00.png'].stratum == 'cat'
    # The unpaired GAN dataset: Y images with an object; no ignored box as a lesion.
    register_all_modules()
    load = dict(type='mmdet.LoadImageFromFile')
    dataset = DATASETS.build(dict(
        type='UnpairedDetDataset', data_root=str(root), clean_ann_file='clean_train.json',
        labelled_ann_file='train.json', target_class=None,
        clean_pipeline=[load, dict(type='mmdet.PackDetInputs')],
        labelled_pipeline=[load, dict(type='mmdet.LoadAnnotations', with_bbox=True),
                           dict(type='mmdet.PackDetInputs')],
        box_sampler=dict(type='BoxPriorSampler', ann_file='train.json', region='any')))
    with_objects = {a['image_id'] for a in objects}
    assert len(dataset.labelled) == len(with_objects) < len(train['images'])
    for i in range(len(dataset.labelled)):
        gt = dataset[i]['labelled']['data_samples'].gt_instances
        assert gt.bboxes.tensor.tolist() == [list(map(float, OBJECT))]
    # Clean context crops keep clear of difficult objects as of any other.
    avoided = []
    real_strip = clean_crops.box_free_strip
    monkeypatch.setattr(clean_crops, 'box_free_strip',
                        lambda b, *a: avoided.append(b.tolist()) or real_strip(b, *a))
    clean_crops.make_clean_crops(root)
    assert any(list(map(float, DIFFICULT)) in boxes for boxes in avoided)
