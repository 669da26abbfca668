"""Dataset converters: exact boxes, counts, patient splits, stock-mmdet loading, errors."""
import importlib.util
import json
import os
import re
import shutil
import stat
from pathlib import Path

import cv2
import numpy as np
import pytest

from mmdgan.datasets.converters.common import BoxStats, clip_box, split_groups
from mmdgan.datasets.converters.mini_mias import convert_mini_mias
from mmdgan.datasets.converters.nih_chestxray import convert_nih_chestxray
from mmdgan.datasets.converters.voc import convert_voc

SPLITS = ('train', 'val', 'test')
TOOLS = Path(__file__).resolve().parents[2] / 'tools' / 'dataset_converters'


def _load(folder, name):
    return json.loads((Path(folder) / name).read_text())


def _boxes_of(folder, file_name):
    """xyxy boxes of one image over all Y splits, plus the split it is in."""
    for split in SPLITS:
        coco = _load(folder, f'{split}.json')
        for img in coco['images']:
            if img['file_name'] == file_name:
                return split, [[a['bbox'][0], a['bbox'][1], a['bbox'][0] + a['bbox'][2],
                                a['bbox'][1] + a['bbox'][3]]
                               for a in coco['annotations'] if a['image_id'] == img['id']]
    raise AssertionError(f'{file_name} not in any Y split')


def _split_of_each_image(folder):
    where = {}
    for split in SPLITS:
        for name in (f'{split}.json', f'clean_{split}.json'):
            for img in _load(folder, name)['images']:
                assert img['file_name'] not in where, f'{img["file_name"]} twice'
                where[img['file_name']] = split
    return where


def assert_loads_in_stock_mmdet(folder, ann_file='train.json'):
    """The Y json goes through mmdet's CocoDataset and standard train pipeline."""
    from mmdet.datasets import CocoDataset
    from mmdet.utils import register_all_modules
    register_all_modules(init_default_scope=True)
    coco = _load(folder, ann_file)
    classes = tuple(c['name'] for c in coco['categories'])
    ds = CocoDataset(
        data_root=str(folder), ann_file=ann_file, data_prefix=dict(img=''),
        metainfo=dict(classes=classes), filter_cfg=dict(filter_empty_gt=True),
        pipeline=[dict(type='LoadImageFromFile'), dict(type='LoadAnnotations', with_bbox=True),
                  dict(type='Resize', scale=(64, 64), keep_ratio=True),
                  dict(type='RandomFlip', prob=0.5), dict(type='PackDetInputs')])
    assert len(ds) == len(coco['images'])
    n_boxes = 0
    for i in range(len(ds)):
        out = ds[i]
        sample = out['data_samples']
        boxes = sample.gt_instances.bboxes.tensor
        h, w = sample.img_shape
        assert out['inputs'].shape[1:] == (h, w) and max(h, w) == 64
        assert len(boxes) > 0
        assert (boxes[:, 0] >= 0).all() and (boxes[:, 2] <= w + 1e-3).all()
        assert (boxes[:, 1] >= 0).all() and (boxes[:, 3] <= h + 1e-3).all()
        n_boxes += len(boxes)
    assert n_boxes == len(coco['annotations'])


# ---------------------------------------------------------------- mini-MIAS
def _info_truth(root):
    """Independent reading of Info.txt: X films, Y films (with a box)."""
    norm, boxed = set(), set()
    for line in (root / 'Info.txt').read_text(encoding='latin-1').splitlines():
        f = line.split()
        if not f or not re.fullmatch(r'mdb\d{3}', f[0]):
            continue
        if f[2] == 'NORM':
            norm.add(f[0])
        elif len(f) == 7:
            boxed.add(f[0])
    return norm, boxed


@pytest.fixture(scope='module')
def mias_out(mini_mias_root, tmp_path_factory):
    out = tmp_path_factory.mktemp('mias')
    counts, stats = convert_mini_mias(mini_mias_root, out, seed=0)
    return out, counts, stats


def test_mini_mias_hand_computed_boxes(mias_out):
    out, _, _ = mias_out
    # Images on disk are 512x512: scale 0.5, row = 512 - y.
    # mdb001: centre (535, 425), r 197 -> x 267.5 +- 98.5, row 299.5 +- 98.5.
    assert _boxes_of(out, 'images/mdb001.png')[1] == [[169, 201, 366, 398]]
    # mdb005: (477, 133, 30) and (500, 168, 26).
    assert sorted(_boxes_of(out, 'images/mdb005.png')[1]) == sorted(
        [[238.5 - 15, 445.5 - 15, 238.5 + 15, 445.5 + 15], [250 - 13, 428 - 13, 250 + 13,
                                                            428 + 13]])


def test_mini_mias_counts_match_info(mias_out, mini_mias_root):
    out, counts, stats = mias_out
    norm, boxed = _info_truth(mini_mias_root)
    assert len(norm) == 207
    assert sum(counts[f'clean_{s}.json'][0] for s in SPLITS) == len(norm)
    assert sum(counts[f'{s}.json'][0] for s in SPLITS) == len(boxed)
    x_names = {img['file_name'] for s in SPLITS for img in _load(out, f'clean_{s}.json')['images']}
    assert x_names == {f'images/{r}.png' for r in norm}
    # mdb059, mdb216, mdb233, mdb245: abnormal without coordinates -> neither X nor Y.
    assert stats.skipped_rows['film with only coordinate-less abnormalities'] == 4
    assert not (out / 'images' / 'mdb059.png').exists()


def test_mini_mias_split_by_patient(mias_out):
    out, counts, _ = mias_out
    where = _split_of_each_image(out)
    patients = {}
    for name, split in where.items():
        patient = (int(re.search(r'mdb(\d+)', name).group(1)) + 1) // 2
        patients.setdefault(patient, set()).add(split)
    assert all(len(s) == 1 for s in patients.values())
    n = len(patients)
    n_train = sum(1 for s in patients.values() if s == {'train'})
    assert abs(n_train / n - 0.6) < 0.05
    assert all(counts[f'{s}.json'][0] > 0 and counts[f'clean_{s}.json'][0] > 0 for s in SPLITS)


def test_mini_mias_loads_in_stock_mmdet(mias_out):
    assert_loads_in_stock_mmdet(mias_out[0], 'val.json')


def test_mini_mias_resize_and_all_classes(mini_mias_root, tmp_path):
    """--size rescales boxes with the images; --classes all keeps the abnormality type."""
    src = tmp_path / 'src'
    (src / 'images').mkdir(parents=True)
    lines = (mini_mias_root / 'Info.txt').read_text(encoding='latin-1').splitlines()
    keep = [ln for ln in lines if not ln.startswith('mdb') or ln[:6] in ('mdb001', 'mdb002',
                                                                        'mdb003', 'mdb004')]
    (src / 'Info.txt').write_text('\n'.join(keep) + '\n')
    for r in ('mdb001', 'mdb002', 'mdb003', 'mdb004'):
        shutil.copy(mini_mias_root / 'images' / f'{r}.png', src / 'images')
    convert_mini_mias(src, tmp_path / 'out', size=128, classes='all', ratios=(1, 0, 0))
    train = _load(tmp_path / 'out', 'train.json')
    assert [c['name'] for c in train['categories']][:2] == ['CALC', 'CIRC']
    img = next(i for i in train['images'] if i['file_name'] == 'images/mdb001.png')
    ann = next(a for a in train['annotations'] if a['image_id'] == img['id'])
    assert img['width'] == img['height'] == 128
    assert cv2.imread(str(tmp_path / 'out/images/mdb001.png'), -1).shape == (128, 128)
    # Scale 1/8: x 66.875 +- 24.625, row 128 - 53.125 = 74.875 +- 24.625.
    assert ann['bbox'] == pytest.approx([42.25, 50.25, 49.25, 49.25], abs=1e-3)
    assert ann['category_id'] == 2


@pytest.mark.parametrize('row, message', [
    ('mdb001 G CIRC B 535 abc 197', r'Info.txt:\d+: mdb001 x y radius are not numbers'),
    ('mdb001 G XYZ B 535 425 197', r"Info.txt:\d+: unknown abnormality class 'XYZ'"),
    ('mdb001 Q NORM', r'Info.txt:\d+: malformed row'),
    ('mdb001 G CIRC B 535 425', r'Info.txt:\d+: mdb001 expected x y radius'),
])
def test_mini_mias_malformed_rows(tmp_path, row, message):
    (tmp_path / 'Info.txt').write_text(f'header text\n\n{row}\nfooter\n')
    with pytest.raises(ValueError, match=message):
        convert_mini_mias(tmp_path, tmp_path / 'out')
    assert not (tmp_path / 'out').exists()


def test_mini_mias_missing_files(tmp_path):
    with pytest.raises(FileNotFoundError, match='Info.txt'):
        convert_mini_mias(tmp_path, tmp_path / 'out')
    (tmp_path / 'Info.txt').write_text('mdb003 D NORM\n')
    with pytest.raises(FileNotFoundError, match=r'mdb003\.png'):
        convert_mini_mias(tmp_path, tmp_path / 'out')


# ---------------------------------------------------------------- NIH
NIH_ENTRY_HEADER = ('Image Index,Finding Labels,Follow-up #,Patient ID,Patient Age,'
                    'Patient Gender,View Position,OriginalImage[Width,Height],'
                    'OriginalImagePixelSpacing[x,y],')


def _write_nih(root, n_patients=10, size=128, rgba=False):
    """Patients with 2 images each: odd patients have a Nodule box, even ones No Finding."""
    (root / 'images_001' / 'images').mkdir(parents=True)
    entries, boxes = [NIH_ENTRY_HEADER], ['Image Index,Finding Label,Bbox [x,y,w,h],,,']
    rng = np.random.default_rng(0)
    for p in range(1, n_patients + 1):
        for k in range(2):
            name = f'{p:08d}_{k:03d}.png'
            img = rng.integers(0, 255, (size, size), dtype=np.uint8)
            if rgba:
                img = cv2.cvtColor(img, cv2.COLOR_GRAY2BGRA)
            cv2.imwrite(str(root / 'images_001' / 'images' / name), img)
            label = 'Nodule' if p % 2 else 'No Finding'
            entries.append(f'{name},{label},{k},{p},50,M,PA,1024,1024,0.14,0.14,')
            if p % 2:
                boxes.append(f'{name},Nodule,{100 * p},{50 + 10 * k},80,64,,,')
    (root / 'Data_Entry_2017.csv').write_text('\n'.join(entries) + '\n')
    (root / 'BBox_List_2017.csv').write_text('\n'.join(boxes) + '\n')


def test_nih_conversion(tmp_path):
    _write_nih(tmp_path / 'src', rgba=True)
    # One box partly outside the 1024 frame, one of zero area, one of an unselected finding.
    with open(tmp_path / 'src' / 'BBox_List_2017.csv', 'a') as f:
        f.write('00000001_000.png,Nodule,1000,900,100,50,,,\n')
        f.write('00000003_000.png,Nodule,10,10,0,30,,,\n')
        f.write('00000003_001.png,Atelectasis,10,10,30,30,,,\n')
    counts, stats = convert_nih_chestxray(tmp_path / 'src', tmp_path / 'out',
                                          findings=['Nodule'], seed=1)
    assert (stats.clipped, stats.dropped_zero_area) == (1, 1)
    assert stats.skipped_rows == {'box of an unselected finding (Atelectasis)': 1}
    assert sum(counts[f'{s}.json'][0] for s in SPLITS) == 10
    assert sum(counts[f'clean_{s}.json'][0] for s in SPLITS) == 10
    split, boxes = _boxes_of(tmp_path / 'out', 'images/00000001_000.png')
    # 1024 -> 128: divide by 8; the second box clipped at the right edge.
    assert sorted(boxes) == [[12.5, 6.25, 22.5, 14.25], [125, 112.5, 128, 118.75]]
    where = _split_of_each_image(tmp_path / 'out')
    by_patient = {}
    for name, split in where.items():
        by_patient.setdefault(name.split('_')[0], set()).add(split)
    assert all(len(s) == 1 for s in by_patient.values())
    assert cv2.imread(str(tmp_path / 'out/images/00000001_000.png'), -1).ndim == 2
    assert_loads_in_stock_mmdet(tmp_path / 'out')


def test_nih_cli(tmp_path, capsys):
    _write_nih(tmp_path / 'src', n_patients=6)
    spec = importlib.util.spec_from_file_location('nih_cli', TOOLS / 'nih_chestxray.py')
    cli = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(cli)
    cli.main([str(tmp_path / 'src'), '--out', str(tmp_path / 'out'), '--findings', 'Nodule',
              '--size', '64', '--max-clean', '2'])
    out = capsys.readouterr().out
    assert re.search(r'clean_train\.json', out)
    assert sum(len(_load(tmp_path / 'out', f'clean_{s}.json')['images']) for s in SPLITS) == 2
    assert _load(tmp_path / 'out', 'train.json')['images'][0]['width'] == 64


@pytest.mark.parametrize('edit, error, message', [
    (lambda r: (r / 'Data_Entry_2017.csv').write_text('Image Index,Finding Labels\na.png,x\n'),
     ValueError, r"Data_Entry_2017.csv:1: missing column\(s\) \['Patient ID'\]"),
    (lambda r: open(r / 'BBox_List_2017.csv', 'a').write('00000001_000.png,Nodule,1,2,x,4\n'),
     ValueError, r'BBox_List_2017.csv:\d+: x, y, w, h are not numbers'),
    (lambda r: open(r / 'BBox_List_2017.csv', 'a').write('00000001_000.png,Nodule,1\n'),
     ValueError, r'BBox_List_2017.csv:\d+: expected at least 6 cells'),
    (lambda r: open(r / 'BBox_List_2017.csv', 'a').write('nope.png,Nodule,1,2,3,4\n'),
     ValueError, r"BBox_List_2017.csv:\d+: image 'nope.png' is not in"),
    (lambda r: (r / 'BBox_List_2017.csv').unlink(), FileNotFoundError, 'BBox_List_2017.csv'),
])
def test_nih_bad_inputs(tmp_path, edit, error, message):
    _write_nih(tmp_path / 'src', n_patients=4, size=32)
    edit(tmp_path / 'src')
    with pytest.raises(error, match=message):
        convert_nih_chestxray(tmp_path / 'src', tmp_path / 'out', findings=['Nodule'])
    assert not list((tmp_path).glob('out/*.json'))


def test_nih_partial_download_samples_among_present_images(tmp_path):
    """Issue 13.9: a user with one of the twelve archives converts what is on disk."""
    _write_nih(tmp_path / 'src', n_patients=10, size=32)
    images = tmp_path / 'src' / 'images_001' / 'images'
    for gone in ('00000001_000.png', '00000002_000.png', '00000004_000.png',
                 '00000004_001.png'):
        (images / gone).unlink()
    counts, stats = convert_nih_chestxray(tmp_path / 'src', tmp_path / 'out',
                                          findings=['Nodule'], max_clean=5)
    assert stats.skipped_rows == {
        '"No Finding" image listed in Data_Entry_2017.csv, not on disk': 3,
        'image with boxes listed in BBox_List_2017.csv, not on disk': 1}
    assert sum(counts[f'{s}.json'][0] for s in SPLITS) == 9
    assert sum(counts[f'clean_{s}.json'][0] for s in SPLITS) == 5  # 7 present, 5 sampled
    with pytest.raises(FileNotFoundError, match='none of the images listed'):
        shutil.rmtree(images)
        convert_nih_chestxray(tmp_path / 'src', tmp_path / 'out2', findings=['Nodule'])


# ---------------------------------------------------------------- VOC
def _voc_xml(filename, objects, width=100, height=80):
    objs = ''.join(
        f'<object><name>{n}</name><difficult>0</difficult><bndbox><xmin>{b[0]}</xmin>'
        f'<ymin>{b[1]}</ymin><xmax>{b[2]}</xmax><ymax>{b[3]}</ymax></bndbox></object>'
        for n, b in objects)
    return (f'<annotation>\n<filename>{filename}</filename>\n<size><width>{width}</width>'
            f'<height>{height}</height><depth>3</depth></size>\n{objs}\n</annotation>\n')


def _write_voc(root, n=10):
    (root / 'Annotations').mkdir(parents=True)
    (root / 'JPEGImages').mkdir()
    rng = np.random.default_rng(0)
    for i in range(n):
        name = f'{i:06d}.jpg'
        cv2.imwrite(str(root / 'JPEGImages' / name),
                    rng.integers(0, 255, (80, 100, 3), dtype=np.uint8))
        objects = [('dog', (5, 5, 30, 30))]
        if i % 2 == 0:
            objects.append(('person', (11, 21, 40, 60)))
        (root / 'Annotations' / f'{i:06d}.xml').write_text(_voc_xml(name, objects))


def test_voc_conversion(tmp_path):
    _write_voc(tmp_path / 'src')
    # Image 0 gets a person that leaves the image and a degenerate one.
    (tmp_path / 'src/Annotations/000000.xml').write_text(_voc_xml(
        '000000.jpg', [('person', (11, 21, 40, 60)), ('person', (90, 70, 120, 90)),
                       ('person', (50, 50, 49, 70))]))
    counts, stats = convert_voc(tmp_path / 'src', tmp_path / 'out', classes=['person'])
    assert (stats.clipped, stats.dropped_zero_area, stats.kept) == (1, 1, 6)
    assert sum(counts[f'{s}.json'][0] for s in SPLITS) == 5
    assert sum(counts[f'clean_{s}.json'][0] for s in SPLITS) == 5
    assert sorted(_boxes_of(tmp_path / 'out', 'images/000000.png')[1]) == [
        [10, 20, 40, 60], [89, 69, 100, 80]]
    assert cv2.imread(str(tmp_path / 'out/images/000000.png'), -1).shape == (80, 100, 3)
    y = _load(tmp_path / 'out', 'train.json')
    assert [c['name'] for c in y['categories']] == ['person']
    assert_loads_in_stock_mmdet(tmp_path / 'out')


@pytest.mark.parametrize('text, error, message', [
    ('<annotation><filename>000000.jpg</filename>\n<object>', ValueError,
     r'000000.xml:2: invalid xml'),
    (_voc_xml('000000.jpg', [('person', (1, 2, 'x', 4))]), ValueError,
     r"000000.xml: object 1 \(person\): <xmax> 'x' is not a number"),
    (_voc_xml('missing.jpg', []), FileNotFoundError, r'000000.xml: image .*missing.jpg'),
])
def test_voc_bad_inputs(tmp_path, text, error, message):
    _write_voc(tmp_path / 'src', n=2)
    (tmp_path / 'src/Annotations/000000.xml').write_text(text)
    with pytest.raises(error, match=message):
        convert_voc(tmp_path / 'src', tmp_path / 'out', classes=['person'])


# ---------------------------------------------------------------- helpers
def test_clip_box_counts():
    stats = BoxStats()
    assert clip_box((-5, 2, 10, 12), 8, 8, stats) == (0, 2, 8, 8)
    assert clip_box((1, 1, 3, 3), 8, 8, stats) == (1, 1, 3, 3)
    assert clip_box((9, 1, 12, 3), 8, 8, stats) is None
    assert clip_box((2, 2, 2, 5), 8, 8, stats) is None
    assert (stats.kept, stats.clipped, stats.dropped_zero_area) == (2, 1, 2)


def test_split_groups_deterministic_and_stratified():
    groups = list(range(100))
    strata = {g: g < 20 for g in groups}
    a = split_groups(groups, 3, strata=strata)
    assert a == split_groups(groups, 3, strata=strata)
    assert a != split_groups(groups, 4, strata=strata)
    for flag, n in ((True, 20), (False, 80)):
        members = [g for g in groups if strata[g] == flag]
        assert sum(a[g] == 'train' for g in members) == round(0.6 * n)
    with pytest.raises(ValueError, match='summing to 1'):
        split_groups(groups, 0, ratios=(0.5, 0.2, 0.2))


# ---------------------------------------------------------------- output folder
def test_unreadable_image_midway_leaves_nothing(tmp_path):
    """Issue 13.2: a corrupt JPEG partway through leaves no images/ and no temp folder."""
    _write_voc(tmp_path / 'src', n=6)
    (tmp_path / 'src/JPEGImages/000004.jpg').write_bytes(b'\xff\xd8 truncated jpeg')
    with pytest.raises(ValueError, match='could not decode image: .*000004.jpg'):
        convert_voc(tmp_path / 'src', tmp_path / 'out', classes=['person'])
    assert sorted(p.name for p in tmp_path.iterdir()) == ['src']


def test_existing_out_refused_and_replaced_only_if_a_dataset(tmp_path):
    """Issues 13.2 and 13.4: no merging into --out; --overwrite replaces datasets only."""
    _write_voc(tmp_path / 'src', n=4)
    out = tmp_path / 'out'
    out.mkdir()  # an empty folder is fine
    convert_voc(tmp_path / 'src', out, classes=['person'])
    (out / 'images' / 'stale.png').write_bytes(b'x')
    with pytest.raises(FileExistsError, match='pass --overwrite'):
        convert_voc(tmp_path / 'src', out, classes=['person'])
    convert_voc(tmp_path / 'src', out, classes=['person'], overwrite=True)
    assert not (out / 'images' / 'stale.png').exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ['out', 'src']
    precious = tmp_path / 'precious'
    precious.mkdir()
    (precious / 'thesis.tex').write_text('years of work')
    with pytest.raises(FileExistsError, match='refusing to replace .*precious'):
        convert_voc(tmp_path / 'src', precious, classes=['person'], overwrite=True)
    assert (precious / 'thesis.tex').read_text() == 'years of work'


def test_outputs_follow_the_umask(tmp_path):
    """Issue 13.8: jsons 0644 and folders 0755 under umask 022, not owner-only."""
    _write_voc(tmp_path / 'src', n=4)
    old = os.umask(0o022)
    try:
        convert_voc(tmp_path / 'src', tmp_path / 'out', classes=['person'])
    finally:
        os.umask(old)
    assert stat.S_IMODE((tmp_path / 'out').stat().st_mode) == 0o755
    assert stat.S_IMODE((tmp_path / 'out' / 'train.json').stat().st_mode) == 0o644
    assert stat.S_IMODE((tmp_path / 'out' / 'images' / '000000.png').stat().st_mode) == 0o644


def test_cli_overwrite_flag(tmp_path, capsys):
    _write_voc(tmp_path / 'src', n=4)
    spec = importlib.util.spec_from_file_location('voc_cli', TOOLS / 'voc.py')
    cli = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(cli)
    argv = [str(tmp_path / 'src'), '--out', str(tmp_path / 'out'), '--classes', 'person']
    cli.main(argv)
    with pytest.raises(FileExistsError, match='--overwrite'):
        cli.main(argv)
    cli.main(argv + ['--overwrite'])
    assert 'train.json' in capsys.readouterr().out
