"""A COCO dataset of another layout: files of other names, images under a prefix.

Each part is named the OpenMMLab way (``ann_file`` + ``data_prefix=dict(img=...)``,
relative to the folder); the description, its ``meta.json`` and the folds read it.
"""
import json
import shutil
from pathlib import Path

import pytest

from mmdgan.fileio.dataset_folder import PARTS, contract_files, dataset_files
from mmdgan.fileio.dataset_meta import dataset_meta, describe_dataset, folder_files

#: Part -> (its COCO file, its image folder), as a COCO export of another tool.
LAYOUT = {'train': ('annotations/instances_train.json', 'train/'),
          'val': ('annotations/instances_val.json', 'val/'),
          'test': ('annotations/instances_test.json', 'test/'),
          'clean_train': ('annotations/background_train.json', 'background/'),
          'clean_val': ('annotations/background_val.json', 'background/'),
          'clean_test': ('annotations/background_test.json', 'background/')}


def given_layout() -> dict:
    return {part: dict(ann_file=ann, data_prefix=dict(img=img))
            for part, (ann, img) in LAYOUT.items()}


def to_other_layout(src: Path, out: Path) -> Path:
    """Rewrite a contract folder as another tool's COCO export: one image folder
    per part, ``file_name`` relative to it, the COCO files under annotations/."""
    (out / 'annotations').mkdir(parents=True)
    for part, (ann, img_dir) in LAYOUT.items():
        coco = json.loads((src / PARTS[part]).read_text())
        (out / img_dir).mkdir(exist_ok=True)
        for img in coco['images']:
            name = Path(img['file_name']).name
            shutil.copy(src / img['file_name'], out / img_dir / name)
            img['file_name'] = name
        (out / ann).write_text(json.dumps(coco))
    return out


@pytest.fixture
def other_layout(colour_data, tmp_path) -> Path:
    return to_other_layout(colour_data, tmp_path / 'shapes')


def test_parts_default_to_the_contract_and_take_other_names():
    assert dataset_files() == contract_files()
    files = dataset_files(dict(train=dict(ann_file='a/t.json', data_prefix=dict(img='imgs/'))))
    assert files['train'] == dict(ann_file='a/t.json', data_prefix=dict(img='imgs/'))
    assert files['val'] == dict(ann_file='val.json', data_prefix=dict(img=''))


@pytest.mark.parametrize('given, message', [
    (dict(trian=dict(ann_file='t.json')), r"dataset_files: unknown part 'trian' \(parts: train"),
    (dict(train=dict(ann='t.json')), r'dataset_files.train must be dict\(ann_file=...'),
    (dict(train=dict(ann_file='/abs/t.json')), "dataset_files.train.ann_file '/abs/t.json' "
     'leaves the dataset folder'),
    (dict(train=dict(data_prefix=dict(img='../x/'))), "dataset_files.train.data_prefix.img "
     "'../x/' leaves"),
    (dict(train=dict(data_prefix='x/')), r'dataset_files.train.data_prefix must be dict\(img='),
    (dict(val=dict(ann_file='')), 'dataset_files.val.ann_file is empty'),
    (['train.json'], 'dataset_files must be a dict of parts'),
])
def test_a_bad_layout_is_one_line(given, message):
    with pytest.raises(ValueError, match=message):
        dataset_files(given)


def test_other_layout_is_described_and_recorded(other_layout, colour_data):
    with pytest.raises(FileNotFoundError, match='train.json.*name them with dataset_files, or '
                       'tools/dataset_converters/describe.py --ann-file train='):
        describe_dataset(other_layout)
    meta = describe_dataset(other_layout, given_layout())
    same = json.loads((colour_data / 'meta.json').read_text())
    for key in ('classes', 'category_ids', 'channels', 'image_size', 'train_boxes'):
        assert meta[key] == same[key], key
    assert meta['files']['annotations/instances_train.json'] == same['files']['train.json']
    assert meta['dataset_files'] == given_layout()
    # Recorded in meta.json, the layout is the folder's own from then on.
    from tools.dataset_converters.describe import main as describe
    describe([str(other_layout), *(f'--ann-file={p}={a}' for p, (a, _) in LAYOUT.items()),
              *(f'--img-prefix={p}={i}' for p, (_, i) in LAYOUT.items())])
    assert folder_files(other_layout) == dataset_files(given_layout())
    assert dataset_meta(other_layout) == meta


def test_what_is_missing_is_named(other_layout):
    given = given_layout()
    given['val']['ann_file'] = 'annotations/nothing.json'
    with pytest.raises(FileNotFoundError, match=r'dataset_files.val.ann_file: not found: '
                       r'.*annotations/nothing.json'):
        describe_dataset(other_layout, given)
    given = given_layout()
    given['test']['data_prefix']['img'] = 'train/'
    with pytest.raises(FileNotFoundError, match=r'instances_test.json: \d+ of \d+ image\(s\) not '
                       r'found, .* is dataset_files.test.data_prefix.img right\?'):
        describe_dataset(other_layout, given)
    from tools.dataset_converters.describe import main as describe
    with pytest.raises(ValueError, match="--ann-file 'tarin=x.json': expected PART=VALUE"):
        describe([str(other_layout), '--ann-file', 'tarin=x.json'])


def test_folds_pool_the_films_of_another_layout(other_layout, colour_data, tmp_path):
    from mmdgan.datasets.folds import DatasetPool, pool_films
    from mmdgan.fileio.dataset_meta import write_dataset_meta

    write_dataset_meta(other_layout, given_layout())
    pool, contract = DatasetPool(other_layout), DatasetPool(colour_data)
    assert len(pool.images) == len(contract.images)
    assert {n.split('/')[0] for n in pool.images} == {'train', 'val', 'test', 'background'}
    strata = sorted(f.stratum for f in pool_films(pool))
    assert strata == sorted(f.stratum for f in pool_films(contract))
    written = pool.write_coco(sorted(pool.images)[:3], tmp_path / 'fold.json')
    coco = json.loads((tmp_path / 'fold.json').read_text())
    assert written['images'] == 3 and all(Path(i['file_name']).is_file() for i in coco['images'])
