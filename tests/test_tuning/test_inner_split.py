"""Inner validation split: inside the outer fold's training patients, patients whole."""
import json

import pytest

from mmdgan.datasets.folds import DatasetPool, assign_folds, pool_films
from mmdgan.tuning import inner_split, write_inner_split
from tests.test_datasets.test_folds import write_patient_folder


@pytest.fixture
def patient_folder(tmp_path):
    """40 patients of two films: 16 with a lesion film (10 mass, 6 calc), 24 all normal."""
    return write_patient_folder(tmp_path, 40, 16, 10)


def test_split_stays_inside_the_training_patients(patient_folder):
    films = pool_films(DatasetPool(patient_folder))
    outer = assign_folds(films, 4, seed=0)
    split = inner_split(films, outer, outer_fold=1, inner_k=3, inner_seed=0)
    test_names = {f.file_name for f in films if outer[f.file_name] == 1}
    used = split.train + split.val + split.unused
    assert {f.file_name for f in split.outer_test} == test_names
    assert not test_names & {f.file_name for f in used}  # no outer held-out film
    # Every training film lands exactly once, and no patient is on both sides.
    assert sorted(f.file_name for f in used) == sorted(
        f.file_name for f in films if outer[f.file_name] != 1)
    assert not {f.group for f in split.val} & {f.group for f in split.train + split.unused}
    assert all(f.labelled for f in split.train) and not any(f.labelled for f in split.unused)
    assert any(f.labelled for f in split.val) and any(not f.labelled for f in split.val)
    # About a third of the training patients validate; deterministic for a seed.
    train_patients = {f.group for f in used}
    assert abs(len({f.group for f in split.val}) - len(train_patients) / 3) <= 2
    again = inner_split(films, outer, outer_fold=1, inner_k=3, inner_seed=0)
    assert again == split
    assert inner_split(films, outer, 1, 3, inner_seed=1).val != split.val


def test_bad_fold_numbers(patient_folder):
    films = pool_films(DatasetPool(patient_folder))
    outer = assign_folds(films, 4, seed=0)
    with pytest.raises(ValueError, match='outer fold 7'):
        inner_split(films, outer, outer_fold=7, inner_k=3)
    with pytest.raises(ValueError, match='inner fold 3'):
        inner_split(films, outer, outer_fold=0, inner_k=3, inner_fold=3)


def test_written_files_and_folds_check(patient_folder, tmp_path):
    out = tmp_path / 'split'
    made = write_inner_split(patient_folder, out, None, folds=4, inner_k=3)
    record = made['record']
    train = json.loads(made['files']['train'].read_text())
    val = json.loads(made['files']['val'].read_text())
    assert len(train['images']) == record['counts']['train_labelled'] == len(record['train'])
    assert len(val['images']) == len(record['val'])
    assert len(val['annotations']) == record['counts']['val_labelled']
    assert all(img['file_name'].startswith(str(patient_folder)) for img in train['images'])
    assert not any(name.startswith('/') for name in record['train'] + record['val'])
    # The outer folds must be the comparison's: a folds.json of another assignment fails.
    films = pool_films(DatasetPool(patient_folder))
    other = assign_folds(films, 4, seed=5)
    folds_file = tmp_path / 'folds.json'
    folds_file.write_text(json.dumps(dict(films=[dict(file_name=n, fold=k)
                                                 for n, k in other.items()])))
    with pytest.raises(ValueError, match='differs'):
        write_inner_split(patient_folder, out, None, folds=4, inner_k=3, check_folds=folds_file)
    same = assign_folds(films, 4, seed=0)
    folds_file.write_text(json.dumps(dict(films=[dict(file_name=n, fold=k)
                                                 for n, k in same.items()])))
    write_inner_split(patient_folder, out, None, folds=4, inner_k=3, check_folds=folds_file)
