"""Cross-validation folds: every film held out once, patients whole, strata balanced."""
import json
from collections import Counter

import pytest

from mmdgan.datasets.folds import (
    DatasetPool,
    Film,
    assign_folds,
    folds_record,
    mias_patient,
    mias_strata,
    nested_subset,
    pool_films,
)
from mmdgan.fileio import ImageRecord, make_coco


def _write_folder(root, labelled, clean):
    """A dataset folder (COCO files only) with ``patient_id`` on every image."""
    files = {'train.json': labelled[0::3], 'val.json': labelled[1::3],
             'test.json': labelled[2::3], 'clean_train.json': clean[0::3],
             'clean_val.json': clean[1::3], 'clean_test.json': clean[2::3]}
    for name, recs in files.items():
        coco = make_coco([r for r, _ in recs], ['mass', 'calc'])
        for img, (_, patient) in zip(coco['images'], recs):
            img['patient_id'] = patient
        (root / name).write_text(json.dumps(coco))


def write_patient_folder(root, patients: int, with_lesion: int, mass: int):
    """``patients`` patients of two films: the first ``with_lesion`` have a lesion film
    (the first ``mass`` of them category 1, the others 2) next to a normal film, the
    rest two normal films."""
    labelled, clean = [], []
    for p in range(patients):
        if p < with_lesion:
            cat = 1 if p < mass else 2
            labelled.append((ImageRecord(f'images/p{p}_a.png', 64, 64, [(1, 1, 9, 9, cat)]), p))
        else:
            clean.append((ImageRecord(f'images/p{p}_a.png', 64, 64), p))
        clean.append((ImageRecord(f'images/p{p}_b.png', 64, 64), p))
    _write_folder(root, labelled, clean)
    return root


@pytest.fixture
def patient_folder(tmp_path):
    return write_patient_folder(tmp_path, 30, 12, 8)


def test_every_film_once_and_patients_whole(patient_folder):
    pool = DatasetPool(patient_folder)
    films = pool_films(pool)
    assert len(films) == 60 and sum(f.labelled for f in films) == 12
    assert {f.group for f in films} == {str(p) for p in range(30)}  # patient_id, not the image
    assert Counter(f.stratum for f in films) == {'normal': 48, 'mass': 8, 'calc': 4}
    assignment = assign_folds(films, 4, seed=0)
    assert sorted(assignment) == sorted(f.file_name for f in films)  # each film: one fold
    for p in range(30):
        assert assignment[f'images/p{p}_a.png'] == assignment[f'images/p{p}_b.png']
    per_fold = Counter((assignment[f.file_name], f.stratum) for f in films)
    for stratum, total in (('mass', 8), ('calc', 4)):
        assert [per_fold[(k, stratum)] for k in range(4)] == [total // 4] * 4
    assert assign_folds(films, 4, seed=0) == assignment  # deterministic
    assert assign_folds(films, 4, seed=1) != assignment
    record = folds_record(films, assignment, 4, 0, 'patient_id', 'categories')
    assert sum(f['films'] for f in record['folds']) == 60
    assert [f['labelled'] for f in record['folds']] == [3, 3, 3, 3]


def test_fold_files_partition_the_dataset(patient_folder, tmp_path):
    pool = DatasetPool(patient_folder)
    films = pool_films(pool)
    assignment = assign_folds(films, 3)
    held = []
    for k in range(3):
        names = [f.file_name for f in films if assignment[f.file_name] == k]
        counts = pool.write_coco(names, tmp_path / f'eval{k}.json')
        coco = json.loads((tmp_path / f'eval{k}.json').read_text())
        assert counts == dict(images=len(names), boxes=sum(pool.is_labelled(n) for n in names))
        # Absolute image paths: the fold file can live outside the dataset folder.
        assert all(img['file_name'].startswith(str(patient_folder)) for img in coco['images'])
        assert {a['image_id'] for a in coco['annotations']} <= {i['id'] for i in coco['images']}
        held += names
    assert sorted(held) == sorted(pool.images)


def test_single_film_groups_balance_within_one(demo_data):
    films = pool_films(DatasetPool(demo_data))
    assert {f.group for f in films} == {f.file_name for f in films}  # no patient_id field
    assignment = assign_folds(films, 5, seed=3)
    for stratum in {f.stratum for f in films}:
        counts = Counter(assignment[f.file_name] for f in films if f.stratum == stratum)
        assert max(counts.values()) - min(counts.get(k, 0) for k in range(5)) <= 1


def test_mini_mias_patients_and_lesion_types(mini_mias_root):
    from mmdgan.datasets.converters.mini_mias import parse_info
    stratum = mias_strata(mini_mias_root / 'Info.txt')
    names = [f'images/{ref}.png' for ref in parse_info(mini_mias_root / 'Info.txt')]
    films = [Film(n, mias_patient(n), stratum(n), stratum(n) != 'NORM') for n in names]
    assert mias_patient('images/mdb001.png') == mias_patient('images/mdb002.png') == 'patient001'
    assert mias_patient('images/mdb003.png') == 'patient002'
    assert stratum('images/mdb001.png') == 'CIRC' and stratum('images/mdb003.png') == 'NORM'
    assignment = assign_folds(films, 5)
    for i in range(1, 323, 2):
        assert assignment[f'images/mdb{i:03d}.png'] == assignment[f'images/mdb{i + 1:03d}.png']
    for s in {f.stratum for f in films}:
        counts = Counter(assignment[f.file_name] for f in films if f.stratum == s)
        # Pairs of films move together, so a stratum can be off by a pair (and
        # the 207 normal films, whose pairs also hold lesion films, by 10 %).
        spread = max(counts.values()) - min(counts.get(k, 0) for k in range(5))
        assert spread <= max(2, 0.1 * sum(counts.values()) / 5), (s, counts)
    with pytest.raises(KeyError, match='mdb999'):
        stratum('images/mdb999.png')


def test_nested_subsets():
    films = [Film(f'f{i:02d}', f'f{i:02d}', 'a' if i < 30 else 'b', True) for i in range(40)]
    quarter, half, full = (nested_subset(films, f, seed=0) for f in (0.25, 0.5, 1.0))
    assert (len(quarter), len(half), len(full)) == (10, 20, 40)
    assert quarter == half[:10] and half == full[:20]  # nested prefixes
    assert Counter(f.stratum for f in quarter) == {'a': 8, 'b': 2} or \
        Counter(f.stratum for f in quarter) == {'a': 7, 'b': 3}  # ~ the 3:1 mix
    assert nested_subset(films, 0.5, seed=0) == half
    assert nested_subset(films[:1], 0.25) == films[:1]  # never empty
    with pytest.raises(ValueError, match='fraction'):
        nested_subset(films, 0)


def test_bad_folds():
    films = [Film('a', 'p1', 'x', True), Film('b', 'p2', 'normal', False)]
    with pytest.raises(ValueError, match='cannot fill 3 folds'):
        assign_folds(films, 3)
    with pytest.raises(ValueError, match='k >= 2'):
        assign_folds(films, 1)
    with pytest.raises(ValueError, match='fold 1 of 2 holds no labelled film'):
        assign_folds(films, 2)
