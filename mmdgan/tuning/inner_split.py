"""An inner validation split inside the training patients of one cross-validation fold.

A recipe chosen on a fold's held-out films would be tuned on the very films
that later score it. The inner split takes the *training* films of one outer
fold (the films of every other fold, exactly as :mod:`mmdgan.experiments.plan`
builds them) and splits their patients once more with the same stratified
group k-fold (:func:`mmdgan.datasets.folds.assign_folds`): one inner fold
is the validation set (its lesion and normal films, so AP counts false
positives on normals as the comparison's scoring does), the labelled films of
the others train. No film of the outer held-out fold enters either part.
"""
import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Dict, List, Optional, Sequence

from mmdgan.datasets.folds import (
    DatasetPool,
    Film,
    assign_folds,
    mias_patient,
    mias_strata,
    pool_films,
)


@dataclass(frozen=True)
class InnerSplit:
    """Inner training and validation films of one outer fold.

    Attributes:
        train: Labelled films of the inner training patients (the detector's data).
        val: Every film (lesion and normal) of the inner validation patients.
        unused: Normal films of the inner training patients (a real-only
            detector trains on labelled films only).
        outer_test: The outer fold's held-out films (never used; kept to check).
    """

    train: List[Film]
    val: List[Film]
    unused: List[Film]
    outer_test: List[Film]

    def record(self) -> dict:
        """Counts and file names (relative to the dataset folder), for the results."""
        def names(films: Sequence[Film]) -> List[str]:
            return sorted(f.file_name for f in films)
        return dict(
            counts=dict(train_labelled=len(self.train),
                        val_labelled=sum(f.labelled for f in self.val),
                        val_normal=sum(not f.labelled for f in self.val),
                        train_patients=len({f.group for f in self.train}),
                        val_patients=len({f.group for f in self.val}),
                        outer_test_films=len(self.outer_test)),
            train=names(self.train), val=names(self.val))


def inner_split(films: Sequence[Film], outer: Dict[str, int], outer_fold: int, inner_k: int,
                inner_seed: int = 0, inner_fold: int = 0) -> InnerSplit:
    """Split the training patients of ``outer_fold`` into inner training and validation.

    Args:
        films: The pooled films (:func:`mmdgan.datasets.folds.pool_films`).
        outer: The outer assignment ``{file_name: fold}``.
        outer_fold: Outer fold whose training films are split (its own films are untouched).
        inner_k: Inner folds; ``1 / inner_k`` of the training patients validate.
        inner_seed: Seed of the inner assignment.
        inner_fold: Which inner fold validates.

    Raises:
        ValueError: ``outer_fold`` or ``inner_fold`` out of range, or a split
            that leaves a side without a labelled film.
    """
    folds = sorted(set(outer.values()))
    if outer_fold not in folds:
        raise ValueError(f'outer fold {outer_fold} is not one of the folds {folds}')
    if not 0 <= inner_fold < inner_k:
        raise ValueError(f'inner fold {inner_fold} is not one of {inner_k} inner folds')
    training = [f for f in films if outer[f.file_name] != outer_fold]
    inner = assign_folds(training, inner_k, inner_seed)
    val = [f for f in training if inner[f.file_name] == inner_fold]
    rest = [f for f in training if inner[f.file_name] != inner_fold]
    split = InnerSplit(train=[f for f in rest if f.labelled], val=val,
                       unused=[f for f in rest if not f.labelled],
                       outer_test=[f for f in films if outer[f.file_name] == outer_fold])
    if not split.train:
        raise ValueError(f'inner split of fold {outer_fold} leaves no labelled training film')
    return split


def write_inner_split(data_root: os.PathLike, out_dir: os.PathLike, info_file: Optional[str],
                      folds: int = 5, fold_seed: int = 0, outer_fold: int = 0,
                      inner_k: int = 4, inner_seed: int = 0,
                      check_folds: Optional[os.PathLike] = None) -> dict:
    """Build the inner split of a dataset folder and write its two COCO files.

    The outer folds are those of the cross-validated comparison: same pooling,
    grouping (mini-MIAS patients when ``info_file`` is given, else the image's
    ``patient_id`` field or the image) and stratification.

    Args:
        data_root: Converted dataset folder (``images/`` + six COCO files).
        out_dir: Where ``inner_train.json`` and ``inner_val.json`` go (absolute image paths).
        info_file: mini-MIAS ``Info.txt`` (strata and patients), or ``None``.
        folds: Outer k.
        fold_seed: Seed of the outer assignment.
        outer_fold: Outer fold whose training patients are split.
        inner_k: Inner k (``1 / inner_k`` of the training patients validate).
        inner_seed: Seed of the inner assignment.
        check_folds: A comparison's ``folds.json``: the outer assignment must equal it.

    Returns:
        The split's record (settings, counts, relative file names) and the
        two file paths under ``files``.

    Raises:
        ValueError: ``check_folds`` holds another assignment.
    """
    pool = DatasetPool(data_root)
    films = (pool_films(pool, mias_strata(info_file), mias_patient) if info_file
             else pool_films(pool))
    outer = assign_folds(films, folds, fold_seed)
    if check_folds is not None:
        saved = {f['file_name']: f['fold'] for f in read_folds_file(check_folds)['films']}
        if saved != outer:
            raise ValueError(f'{check_folds}: its fold assignment differs from the one this data '
                             f'and fold seed {fold_seed} give')
    split = inner_split(films, outer, outer_fold, inner_k, inner_seed)
    out = Path(out_dir)
    files = dict(train=out / 'inner_train.json', val=out / 'inner_val.json')
    pool.write_coco([f.file_name for f in split.train], files['train'])
    pool.write_coco([f.file_name for f in split.val], files['val'])
    record = dict(folds=folds, fold_seed=fold_seed, outer_fold=outer_fold, inner_k=inner_k,
                  inner_seed=inner_seed, inner_fold=0, **split.record())
    return dict(record=record, files=files)


def read_folds_file(path: os.PathLike) -> dict:
    """A comparison's ``folds.json`` (it must hold a ``films`` list)."""
    try:
        data = json.loads(Path(path).read_text())
    except (OSError, ValueError) as exc:
        raise ValueError(f'{path}: cannot read the folds file ({exc})') from None
    if not isinstance(data, dict) or not isinstance(data.get('films'), list):
        raise ValueError(f'{path}: not a folds file (no "films" list)')
    return data
