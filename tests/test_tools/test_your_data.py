"""Your own data end to end (docs/your-data.md): an RGB two-class Pascal-VOC folder.

Written here with class names of its own, converted, trained a few DetectorGAN
iterations from the generic config, synthesised with PyTorch, exported to ONNX
and synthesised with ONNX Runtime; stock mmdet (its own Runner and a config of
its model zoo) then trains on the synthetic output.
"""
import json
import xml.etree.ElementTree as ET
from pathlib import Path

import cv2
import numpy as np
import pytest

from mmdgan.datasets.demo_colour import render_colour_image

GENERIC = 'configs/dgan_retinanet-effnet-lite0_local-crop_1xb4-2k_custom.py'
#: Class names of this folder's own: nothing may assume 'lesion' (or the demo's).
CLASSES = ('kettle', 'teapot')
SIZE = 96


def write_voc(root: Path, num_labelled: int = 10, num_clean: int = 6) -> Path:
    """A Pascal-VOC folder (JPEGImages/*.jpg + Annotations/*.xml) of colour images."""
    (root / 'JPEGImages').mkdir(parents=True)
    (root / 'Annotations').mkdir()
    for i in range(num_labelled + num_clean):
        img, boxes = render_colour_image(7, 'train', i, SIZE,
                                         num_objects=2 if i < num_labelled else 0)
        name = f'{i:04d}'
        cv2.imwrite(str(root / 'JPEGImages' / f'{name}.jpg'), img,
                    [cv2.IMWRITE_JPEG_QUALITY, 95])
        ann = ET.Element('annotation')
        ET.SubElement(ann, 'filename').text = f'{name}.jpg'
        size = ET.SubElement(ann, 'size')
        for tag, value in (('width', SIZE), ('height', SIZE), ('depth', 3)):
            ET.SubElement(size, tag).text = str(value)
        for x1, y1, x2, y2, cat in boxes:
            obj = ET.SubElement(ann, 'object')
            ET.SubElement(obj, 'name').text = CLASSES[int(cat) - 1]
            bnd = ET.SubElement(obj, 'bndbox')
            # VOC: 1-based, inclusive.
            for tag, value in (('xmin', x1 + 1), ('ymin', y1 + 1), ('xmax', x2), ('ymax', y2)):
                ET.SubElement(bnd, tag).text = str(int(value))
        if i == 0:
            # Another class in the file: not a target, ignored by the conversion.
            obj = ET.SubElement(ann, 'object')
            ET.SubElement(obj, 'name').text = 'person'
            bnd = ET.SubElement(obj, 'bndbox')
            for tag in ('xmin', 'ymin', 'xmax', 'ymax'):
                ET.SubElement(bnd, tag).text = '5' if tag[1] == 'm' and tag[0] == 'x' else '9'
        ET.ElementTree(ann).write(root / 'Annotations' / f'{name}.xml')
    return root


@pytest.fixture(scope='module')
def voc_dataset(tmp_path_factory) -> Path:
    from mmdgan.datasets.converters.voc import convert_voc

    tmp = tmp_path_factory.mktemp('your_data')
    out = tmp / 'converted'
    convert_voc(write_voc(tmp / 'voc'), out, classes=list(CLASSES), seed=0)
    return out


#: The generic config made tiny for CPU tests: small image, small networks.
TINY = [
    'img_scale=(64,64)',
    'train_dataloader.batch_size=2', 'train_dataloader.num_workers=0',
    'train_dataloader.persistent_workers=False',
    'model.generator_x.base_channels=4', 'model.generator_x.num_blocks=1',
    'model.generator_y.base_channels=4', 'model.generator_y.num_blocks=1',
    'model.local_crop.crop_size=16', 'model.local_crop.min_window=8',
    'model.disc_global_x.base_channels=4', 'model.disc_global_y.base_channels=4',
    'model.disc_local_x.base_channels=4', 'model.disc_local_x.crop_size=16',
    'model.disc_local_x.num_layers=2', 'model.train_cfg.pool_size=0',
    'model.train_cfg.det_warmup_iters=0',
    'train_cfg.max_iters=2', 'train_cfg.val_interval=2',
    'default_hooks.checkpoint.interval=2', 'custom_hooks=[]',
    'model.detector.test_cfg.score_thr=0.0',
]


def test_converted_folder_describes_itself(voc_dataset):
    from mmdgan.fileio.dataset_meta import dataset_meta, describe_dataset

    meta = json.loads((voc_dataset / 'meta.json').read_text())
    assert meta['classes'] == list(CLASSES) and meta['channels'] == 3
    assert meta['region'] == 'any'
    assert set(meta['train_boxes']) == set(CLASSES)
    assert sum(v['count'] for v in meta['train_boxes'].values()) == \
        meta['files']['train.json']['boxes']
    # A folder without meta.json (made by another tool) is described from its files.
    (voc_dataset / 'meta.json').rename(voc_dataset / 'meta.bak')
    try:
        assert dataset_meta(voc_dataset)['classes'] == list(CLASSES)
        assert describe_dataset(voc_dataset)['channels'] == 3
    finally:
        (voc_dataset / 'meta.bak').rename(voc_dataset / 'meta.json')


def test_generic_config_follows_the_folder(voc_dataset):
    from mmdgan.utils import load_config

    cfg = load_config(GENERIC, {'data_root': str(voc_dataset)})
    model = cfg.model
    assert model.generator_x.in_channels == 3 and model.generator_x.num_classes == 2
    assert model.disc_local_x.num_classes == 2 and model.disc_global_x.in_channels == 3
    assert model.detector.bbox_head.num_classes == 2 and model.target_label is None
    dataset = cfg.train_dataloader.dataset
    assert dataset.data_root == f'{voc_dataset}/' and dataset.target_class is None
    assert dataset.box_sampler.region == 'any'
    assert cfg.val_dataloader.dataset.metainfo.classes == CLASSES
    assert cfg.val_evaluator.ann_file == f'{voc_dataset}/val.json'
    assert cfg.val_evaluator.classwise
    loaders = [t for t in dataset.clean_pipeline if t.type == 'mmdet.LoadImageFromFile']
    assert loaders[0].color_type == 'color'


def _options(options) -> dict:
    """``key=value`` strings parsed as ``--cfg-options`` parses them."""
    from mmengine.config import DictAction
    return {k: DictAction._parse_iterable(v) for k, v in (o.split('=', 1) for o in options)}


def test_voc_folder_to_synthetic_dataset_and_stock_mmdet(voc_dataset, tmp_path):
    from mmdgan.apis.synthesize import synthesize
    from mmdgan.deploy.export import export_onnx
    from mmdgan.utils import load_config
    from tools.train import main as train

    work = tmp_path / 'work'
    options = [f'data_root={voc_dataset}', *TINY]
    runner = train([GENERIC, '--work-dir', str(work), '--cfg-options', *options])
    assert runner.iter == 2
    # Per-class AP in the evaluation.
    scalars = runner.message_hub.log_scalars
    assert any(k.startswith('val/coco/') and CLASSES[0] in k for k in scalars), sorted(scalars)
    ckpt = str(work / 'iter_2.pth')
    cfg = load_config(GENERIC, _options(options))
    clean = str(voc_dataset / 'clean_train.json')

    syn = synthesize(cfg, ckpt, clean, 6, str(tmp_path / 'syn'), seed=0, progress=False)
    coco = json.loads((syn / 'train.json').read_text())
    assert [c['name'] for c in coco['categories']] == list(CLASSES)
    assert coco['annotations'] and {a['category_id'] for a in coco['annotations']} <= {1, 2}
    img = cv2.imread(str(syn / coco['images'][0]['file_name']), cv2.IMREAD_UNCHANGED)
    assert img.ndim == 3 and img.shape[2] == 3

    onnx_path = tmp_path / 'inserter.onnx'
    export_onnx(cfg, ckpt, onnx_path, exporter='torchscript')
    ort = synthesize(cfg, None, clean, 6, str(tmp_path / 'syn_ort'), backend='onnxruntime',
                     onnx_model=str(onnx_path), seed=0, progress=False)
    ort_coco = json.loads((ort / 'train.json').read_text())
    # Same seed: the same boxes and classes; pixels agree to ORT's float tolerance.
    assert [(a['bbox'], a['category_id']) for a in ort_coco['annotations']] == \
        [(a['bbox'], a['category_id']) for a in coco['annotations']]
    for a, b in zip(coco['images'], ort_coco['images']):
        diff = cv2.imread(str(syn / a['file_name'])).astype(int) - \
            cv2.imread(str(ort / b['file_name'])).astype(int)
        assert np.abs(diff).max() <= 2

    _stock_mmdet_trains(ort, tmp_path / 'mmdet')


def _stock_mmdet_trains(syn_root: Path, work_dir: Path) -> None:
    """mmdet's packaged tools/train.py and a config of its model zoo, on the synthetic folder."""
    import subprocess
    import sys

    import mmdet

    tool = Path(mmdet.__file__).parent / '.mim' / 'tools' / 'train.py'
    if not tool.is_file():
        pytest.skip(f'mmdet ships no tools/train.py at {tool}')
    work_dir.mkdir()
    pipeline = [dict(type='LoadImageFromFile'), dict(type='LoadAnnotations', with_bbox=True),
                dict(type='Resize', scale=(64, 64), keep_ratio=True),
                dict(type='PackDetInputs')]
    config = work_dir / 'retinanet_syn.py'
    config.write_text(f"""_base_ = 'mmdet::retinanet/retinanet_r50_fpn_1x_coco.py'
# No download: the stock ResNet-50 would load torchvision:// weights.
model = dict(backbone=dict(init_cfg=None), bbox_head=dict(num_classes={len(CLASSES)}))
train_dataloader = dict(batch_size=2, num_workers=0, persistent_workers=False,
    sampler=dict(type='InfiniteSampler', shuffle=True), batch_sampler=None,
    dataset=dict(data_root='{syn_root}/', ann_file='train.json', data_prefix=dict(img=''),
                 metainfo=dict(classes={CLASSES!r}), pipeline={pipeline!r}))
train_cfg = dict(_delete_=True, type='IterBasedTrainLoop', max_iters=2)
val_cfg = None
val_dataloader = None
val_evaluator = None
test_cfg = None
test_dataloader = None
test_evaluator = None
param_scheduler = []
default_hooks = dict(checkpoint=dict(by_epoch=False, interval=2), logger=dict(interval=1))
log_processor = dict(by_epoch=False)
""")
    result = subprocess.run([sys.executable, str(tool), str(config), '--work-dir',
                             str(work_dir / 'run')], capture_output=True, text=True,
                            timeout=600)
    assert result.returncode == 0, result.stderr[-3000:]
    assert (work_dir / 'run' / 'iter_2.pth').is_file()


def test_quick_comparison_plans_on_the_folder(voc_dataset, tmp_path):
    """The experiment config for any folder plans its folds and units (--dry-run)."""
    from tools.experiments.cross_validation import main as cross_validation

    cross_validation(['configs/experiments/cv_custom-quick.py', '--dry-run', '--cfg-options',
                      f'data_root={voc_dataset}/', 'data=voc-test',
                      f'work_dir={tmp_path}/work', f'results_dir={tmp_path}/results'])
    folds = json.loads((tmp_path / 'results' / 'folds.json').read_text())
    assert folds['k'] == 2
    # Folds are stratified by the folder's own classes.
    assert {f['stratum'] for f in folds['films'] if f['labelled']} <= \
        {'kettle', 'teapot', 'kettle+teapot'}


def test_coco_folder_of_another_layout(colour_data, tmp_path):
    """A COCO export of another tool (annotations/*.json, one image folder per
    part, file names relative to it): described once, the generic config, its
    training, GAN synthesis and copy-paste read it without a converter; a
    config may name the layout itself (``dataset_files``) instead."""
    from mmdgan.utils import load_config
    from tests.test_fileio.test_dataset_files import LAYOUT, given_layout, to_other_layout
    from tools.dataset_converters.describe import main as describe
    from tools.synthesize import main as synthesize
    from tools.train import main as train

    root = to_other_layout(colour_data, tmp_path / 'shapes')
    options = [f'data_root={root}', *TINY, 'train_cfg.val_interval=100']
    cfg = load_config(GENERIC, {'dataset_files': given_layout(), **_options(options)})
    dataset = cfg.train_dataloader.dataset
    assert (dataset.labelled_ann_file, dataset.data_prefix.img) == LAYOUT['train']
    assert (dataset.clean_ann_file, dataset.clean_data_prefix.img) == LAYOUT['clean_train']
    assert dataset.box_sampler.ann_file == LAYOUT['train'][0]
    val = cfg.val_dataloader.dataset
    assert (val.ann_file, val.data_prefix.img) == LAYOUT['val']
    assert cfg.test_evaluator.ann_file == f'{root}/{LAYOUT["test"][0]}'
    assert cfg.model.generator_x.num_classes == 2

    describe([str(root), *(f'--ann-file={p}={a}' for p, (a, _) in LAYOUT.items()),
              *(f'--img-prefix={p}={i}' for p, (_, i) in LAYOUT.items())])
    # From now on the folder says where its parts are: data_root is all a user gives.
    again = load_config(GENERIC, _options(options)).train_dataloader.dataset
    assert (again.labelled_ann_file, again.data_prefix.img, again.clean_ann_file,
            again.clean_data_prefix.img) == (*LAYOUT['train'], *LAYOUT['clean_train'])
    runner = train([GENERIC, '--work-dir', str(tmp_path / 'work'), '--cfg-options', *options])
    assert runner.iter == 2
    for method, out in (('gan', 'syn'), ('copy-paste', 'cp')):
        synthesize([GENERIC, str(tmp_path / 'work' / 'iter_2.pth'), '--method', method,
                    '--num', '4', '--out', str(tmp_path / out), '--no-progress',
                    '--cfg-options', *options])
        coco = json.loads((tmp_path / out / 'train.json').read_text())
        assert len(coco['images']) == 4 and coco['annotations']
        # The clean images were read from their own folder.
        assert all((root / 'background' / s).is_file() for s in coco['info']['sources'])
        assert {a['category_id'] for a in coco['annotations']} <= {1, 2}
