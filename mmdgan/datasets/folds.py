"""Patient-level, stratified k-fold cross-validation folds of a converted dataset folder.

The six COCO files of a dataset folder (``train``/``val``/``test`` and their
``clean_`` twins) are pooled into one list of films; every film gets one fold,
so every labelled and every clean (normal) film is held out exactly once.

* **Grouping** (films that must share a fold): the image's ``patient_id``
  field when the COCO image records carry one, else the image itself. For
  mini-MIAS (``mdbNNN`` file names) films ``2k-1`` and ``2k`` are one patient.
* **Strata** (balanced over folds): for mini-MIAS the abnormality class of
  the film from ``Info.txt`` (``CIRC``, ``SPIC``, ... or ``NORM``); otherwise
  the sorted category names of the film's boxes, or ``normal`` for a clean film.
  Ignored boxes (``iscrowd=1``: VOC's difficult objects) name no stratum: a
  film holding only such boxes is labelled (it is no clean film: it goes with
  Y, where evaluation ignores those regions) in the stratum ``ignored-only``.
* **Assignment**: a greedy stratified group k-fold (the algorithm of
  scikit-learn's ``StratifiedGroupKFold``): groups are shuffled with the seed,
  ordered by how concentrated their strata are, and each goes to the fold that
  keeps the per-stratum shares most even (ties: the smaller fold, then the
  lower index). Deterministic for a given dataset and seed.

Learning-curve subsets of a fold's labelled training films are nested
prefixes of one seeded, stratum-interleaved order (:func:`nested_subset`).
"""
import os
import re
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Callable, Dict, Hashable, List, Optional, Sequence

import numpy as np

from mmdgan.fileio import ABSOLUTE_FILE_NAMES, is_ignored, load_coco, write_json_atomic
from mmdgan.fileio.dataset_folder import SPLITS, part_paths
from mmdgan.fileio.dataset_meta import folder_files

#: The image field that names a patient in a converted COCO file.
PATIENT_FIELD = 'patient_id'
#: Stratum of a labelled film whose boxes are all ignored (``iscrowd=1``).
IGNORED_ONLY = 'ignored-only'
_MIAS_NAME = re.compile(r'mdb(\d{3})$')


@dataclass(frozen=True)
class Film:
    """One image of the pooled dataset.

    Attributes:
        file_name: ``file_name`` of the COCO image record (relative to the folder).
        group: Grouping key; films of one group always share a fold.
        stratum: Stratification label.
        labelled: ``True`` for a film with boxes (Y), ``False`` for a clean film (X).
    """

    file_name: str
    group: str
    stratum: str
    labelled: bool


class DatasetPool:
    """The six COCO files of a dataset folder, pooled by ``file_name``.

    Films are named by their path relative to the folder: a COCO dataset of
    another layout (files of other names, images under a prefix per part, as
    its ``meta.json`` records or ``files`` says) pools like the contract's.

    Args:
        root: Dataset folder (``images/`` + the six COCO files).
        files: Each part's ``ann_file`` and ``data_prefix``
            (:func:`mmdgan.fileio.dataset_folder.dataset_files`); default:
            the layout ``meta.json`` records, else the contract's.

    Raises:
        FileNotFoundError: A COCO file is missing.
        ValueError: Categories differ between files, a file name occurs twice,
            or a clean file carries boxes.
    """

    def __init__(self, root: os.PathLike, files: Optional[dict] = None) -> None:
        self.root = Path(root).resolve()
        self.images: Dict[str, dict] = {}
        self.boxes: Dict[str, List[dict]] = {}
        self.categories: Optional[list] = None
        files = folder_files(self.root, files)
        for split in SPLITS:
            for part, labelled in ((split, True), (f'clean_{split}', False)):
                self._add(*part_paths(self.root, files, part), labelled)
        if not any(self.objects(name) for name in self.boxes):
            raise ValueError(f'{self.root}: no labelled film with boxes (other than ignored, '
                             'iscrowd=1) in train/val/test.json')

    def _add(self, path: Path, img_root: Path, labelled: bool) -> None:
        coco = load_coco(path, 'dataset COCO file')
        if self.categories is None:
            self.categories = coco['categories']
        elif coco['categories'] != self.categories:
            raise ValueError(f'{path}: categories differ from the other files of {self.root}')
        by_id = {}
        for img in coco['images']:
            # The film's path relative to the folder (absolute names stay as they are).
            name = (img['file_name'] if os.path.isabs(img['file_name'])
                    else os.path.relpath(img_root / img['file_name'], self.root))
            if name in self.images:
                raise ValueError(f'{path}: image {name} is listed twice in {self.root}')
            self.images[name] = dict(img, file_name=name)
            self.boxes[name] = []
            by_id[img['id']] = name
        for ann in coco.get('annotations', []):
            if not labelled:
                raise ValueError(f'{path}: a clean file carries boxes (image {ann["image_id"]})')
            self.boxes[by_id[ann['image_id']]].append(ann)

    def is_labelled(self, name: str) -> bool:
        """Whether the film carries any box (ignored ones included: it is not clean)."""
        return bool(self.boxes[name])

    def objects(self, name: str) -> List[dict]:
        """The film's boxes that are objects: all but the ignored (``iscrowd=1``) ones."""
        return [ann for ann in self.boxes[name] if not is_ignored(ann)]

    def write_coco(self, names: Sequence[str], path: os.PathLike) -> dict:
        """Write the films ``names`` as one COCO file with absolute ``file_name`` s.

        Absolute names let the file live anywhere (a fold folder) while the
        images stay in the dataset folder; ids are renumbered from 1.

        Returns:
            ``dict(images=N, boxes=M)``.
        """
        images, annotations = [], []
        for img_id, name in enumerate(names, start=1):
            images.append(dict(self.images[name], id=img_id, file_name=str(self.root / name)))
            for ann in self.boxes[name]:
                annotations.append(dict(ann, id=len(annotations) + 1, image_id=img_id))
        # ``info.file_names`` declares the absolute names deliberate: readers
        # refuse them otherwise (mmdgan.fileio.image_path).
        write_json_atomic(dict(images=images, annotations=annotations,
                               categories=self.categories,
                               info=dict(file_names=ABSOLUTE_FILE_NAMES)), path)
        return dict(images=len(images), boxes=len(annotations))


def mias_patient(file_name: str) -> Optional[str]:
    """mini-MIAS patient of ``images/mdbNNN.png`` (films 2k-1, 2k), else ``None``."""
    match = _MIAS_NAME.search(Path(file_name).stem)
    return f'patient{(int(match.group(1)) + 1) // 2:03d}' if match else None


def mias_strata(info_file: os.PathLike) -> Callable[[str], str]:
    """Stratum function from mini-MIAS ``Info.txt``: the film's class(es), e.g. ``CIRC``."""
    from mmdgan.datasets.converters.mini_mias import parse_info
    films = parse_info(info_file)

    def stratum(file_name: str) -> str:
        ref = Path(file_name).stem
        if ref not in films:
            raise KeyError(f'{info_file}: film {ref} ({file_name}) is not listed')
        return '+'.join(sorted({row.abnormality for row in films[ref]}))
    return stratum


def pool_films(pool: DatasetPool, stratum_of: Optional[Callable[[str], str]] = None,
               group_of: Optional[Callable[[str], Optional[str]]] = None) -> List[Film]:
    """The pooled films with their groups and strata, sorted by file name.

    Args:
        pool: The dataset.
        stratum_of: File name -> stratum; default: box category names or ``normal``.
        group_of: File name -> group, or ``None`` to fall back to the image's
            ``patient_id`` field, then to the image itself.
    """
    names = {c['id']: c['name'] for c in pool.categories or []}
    films = []
    for name in sorted(pool.images):
        group = group_of(name) if group_of else None
        if group is None:
            group = str(pool.images[name].get(PATIENT_FIELD, name))
        if stratum_of is not None:
            stratum = stratum_of(name)
        elif pool.is_labelled(name):
            stratum = '+'.join(sorted({names[a['category_id']] for a in pool.objects(name)}))
            stratum = stratum or IGNORED_ONLY
        else:
            stratum = 'normal'
        films.append(Film(name, group, stratum, pool.is_labelled(name)))
    return films


def assign_folds(films: Sequence[Film], k: int, seed: int = 0) -> Dict[str, int]:
    """Stratified group k-fold: ``{file_name: fold}``.

    Raises:
        ValueError: ``k < 2``, fewer groups than folds, or a fold without a
            labelled film.
    """
    if k < 2:
        raise ValueError(f'cross-validation needs k >= 2 folds, got {k}')
    groups: Dict[Hashable, List[Film]] = {}
    for film in films:
        groups.setdefault(film.group, []).append(film)
    if len(groups) < k:
        raise ValueError(f'{len(groups)} patient groups cannot fill {k} folds')
    strata = sorted({f.stratum for f in films})
    col = {s: i for i, s in enumerate(strata)}
    keys = sorted(groups, key=str)
    counts = np.zeros((len(keys), len(strata)))
    for i, key in enumerate(keys):
        for film in groups[key]:
            counts[i, col[film.stratum]] += 1
    totals = counts.sum(axis=0)
    order = np.random.default_rng(seed).permutation(len(keys))
    # Concentrated groups (few strata, many films) first: they are the hardest to place.
    order = sorted(order, key=lambda i: -np.std(counts[i]))
    per_fold = np.zeros((k, len(strata)))
    assignment = {}
    for i in order:
        best, best_key = 0, None
        for fold in range(k):
            per_fold[fold] += counts[i]
            spread = np.std(per_fold / totals, axis=0).mean()
            per_fold[fold] -= counts[i]
            key = (round(float(spread), 12), per_fold[fold].sum(), fold)
            if best_key is None or key < best_key:
                best, best_key = fold, key
        per_fold[best] += counts[i]
        for film in groups[keys[i]]:
            assignment[film.file_name] = best
    for fold in range(k):
        if not any(f.labelled and f.stratum != IGNORED_ONLY and assignment[f.file_name] == fold
                   for f in films):
            raise ValueError(f'fold {fold} of {k} holds no labelled film: use fewer folds')
    return assignment


def nested_subset(films: Sequence[Film], fraction: float, seed: int = 0) -> List[Film]:
    """The first ``round(fraction * n)`` (at least 1) films of one seeded order.

    The order interleaves the strata (each stratum shuffled with ``seed``, its
    films spread evenly over the order), so every prefix keeps about the
    stratum mix of the whole, and smaller fractions are subsets of larger ones.
    """
    if not 0 < fraction <= 1:
        raise ValueError(f'fraction must lie in (0, 1], got {fraction}')
    rng = np.random.default_rng(seed)
    by_stratum: Dict[str, List[Film]] = {}
    for film in sorted(films, key=lambda f: f.file_name):
        by_stratum.setdefault(film.stratum, []).append(film)
    ranked = []
    for stratum in sorted(by_stratum):
        members = by_stratum[stratum]
        for rank, i in enumerate(rng.permutation(len(members))):
            ranked.append(((rank + 0.5) / len(members), stratum, members[i]))
    ordered = [film for _, _, film in sorted(ranked, key=lambda r: (r[0], r[1]))]
    return ordered[:max(1, int(round(fraction * len(ordered))))]


def folds_record(films: Sequence[Film], assignment: Dict[str, int], k: int, seed: int,
                 grouping: str, stratification: str) -> dict:
    """What ``folds.json`` holds: settings, every film's fold and per-fold counts."""
    per_fold = []
    for fold in range(k):
        members = [f for f in films if assignment[f.file_name] == fold]
        strata: Dict[str, int] = {}
        for f in members:
            strata[f.stratum] = strata.get(f.stratum, 0) + 1
        per_fold.append(dict(fold=fold, films=len(members),
                             labelled=sum(f.labelled for f in members),
                             clean=sum(not f.labelled for f in members),
                             groups=len({f.group for f in members}), strata=strata))
    return dict(k=k, seed=seed, grouping=grouping, stratification=stratification,
                folds=per_fold,
                films=[dict(asdict(f), fold=assignment[f.file_name]) for f in films])
