"""The plan of a comparison: its folds, its units in priority order, and their cost.

A *detector unit* trains and scores one detector; a *source* is the synthetic-image
source it needs (one GAN, or the copy-paste sampler, of one fold). Order: the main
comparison fold by fold, the learning curve (each fraction's controls right after it),
the sweep and GAN variance, the late arms; ``extra_fold_seeds`` repeat the first two
(at ``extra_fold_fractions`` only, if set).
"""
import json
import math
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Dict, List, Optional, Sequence

from mmdgan.datasets.folds import (
    PATIENT_FIELD,
    DatasetPool,
    assign_folds,
    folds_record,
    mias_patient,
    mias_strata,
    nested_subset,
    pool_films,
)
from mmdgan.fileio import write_json_atomic
from mmdgan.fileio.dataset_meta import dataset_meta
from mmdgan.utils.tool_runner import config_iters, load_cfg

from .arms import ARMS, main_ratio
from .exposure import detector_iters, num_synthetic
from .settings import CVSettings, curve_arms, repo_path


@dataclass(frozen=True)
class DetUnit:
    """One detector run: an arm on one fold with one seed."""

    fold: int
    arm: str
    seed: int
    fraction: float = 1.0
    ratio: float = 0.0
    gan_seed: int = 0
    fold_seed: Optional[int] = None  # None: the experiment's first fold seed

    def name(self, default_ratio: float) -> str:
        text = f'{self.arm}_fold{self.fold}_seed{self.seed}'
        if self.fraction != 1.0:
            text += f'_frac{self.fraction:g}'
        if ARMS[self.arm].synthetic and self.ratio != default_ratio:
            text += f'_ratio{self.ratio:g}'
        if self.gan_seed:
            text += f'_gan{self.gan_seed}'
        return text + (f'_folds{self.fold_seed}' if self.fold_seed is not None else '')

    @property
    def source(self) -> Optional['Source']:
        """The synthetic source this run needs (``None`` for real only)."""
        if not ARMS[self.arm].synthetic:
            return None
        return Source(self.fold, self.arm, self.gan_seed, self.fraction, self.fold_seed)


@dataclass(frozen=True)
class Source:
    """A synthetic-image source: one GAN (or the copy-paste sampler) of one fold."""

    fold: int
    arm: str
    gan_seed: int = 0
    fraction: float = 1.0
    fold_seed: Optional[int] = None

    def name(self) -> str:
        text = f'{self.arm}_fold{self.fold}_gan{self.gan_seed}'
        text += f'_frac{self.fraction:g}' if self.fraction != 1.0 else ''
        return text + (f'_folds{self.fold_seed}' if self.fold_seed is not None else '')

    @property
    def is_gan(self) -> bool:
        return ARMS[self.arm].synthetic == 'gan'

    @property
    def warm(self) -> Optional[DetUnit]:
        """The real-only detector a GAN's in-loop detector starts from (``warm_start``)."""
        if not (self.is_gan and ARMS[self.arm].detector_in_loop):
            return None
        return DetUnit(self.fold, 'real', 0, self.fraction, fold_seed=self.fold_seed)


@dataclass
class Fold:
    """The files of one fold (absolute image paths inside)."""

    index: int
    dir: Path
    num_eval: int
    num_clean_train: int
    num_real: Dict[float, int]

    @property
    def eval_file(self) -> Path:
        return self.dir / 'eval.json'

    @property
    def clean_file(self) -> Path:
        return self.dir / 'clean_train.json'

    def train_file(self, fraction: float) -> Path:
        return self.dir / ('train.json' if fraction == 1.0 else f'train_frac{fraction:g}.json')


class Plan:
    """Folds, units and cost of a :class:`CVSettings` comparison."""

    def __init__(self, settings: CVSettings) -> None:
        self.s = settings
        self.root = repo_path(settings.data_root).resolve()
        self.work_dir = repo_path(settings.work_dir).resolve()
        self.results_dir = repo_path(settings.results_dir).resolve()
        det_cfg = load_cfg(settings.det_config)
        self.batch_size = int(settings.det_options.get(
            'train_dataloader.batch_size', det_cfg.train_dataloader.batch_size))
        self.gan_iters = {a: settings.gan_iters or config_iters(c)
                          for a, c in settings.gan_configs.items()}
        self.folds: Dict[Optional[int], List[Fold]] = {}
        self.records: Dict[Optional[int], dict] = {}

    @property
    def record(self) -> dict:
        """``folds.json`` of the first fold seed."""
        return self.records.get(None, {})

    def fold(self, unit) -> Fold:
        """The fold of a unit or source."""
        return self.folds[unit.fold_seed][unit.fold]

    def prepare_folds(self) -> None:
        """Assign the folds of every fold seed (checked against a saved ``folds*.json``)
        and write their fold files."""
        pool = DatasetPool(self.root)
        if self.s.info_file:
            films = pool_films(pool, mias_strata(repo_path(self.s.info_file)), mias_patient)
            grouping = 'mini-MIAS patient (films 2k-1, 2k)'
            stratification = 'abnormality class from Info.txt (NORM for normal films)'
        else:
            films = pool_films(pool)
            has_patient = any(PATIENT_FIELD in img for img in pool.images.values())
            grouping = (f'image {PATIENT_FIELD} field' if has_patient
                        else f'image (no {PATIENT_FIELD} field)')
            stratification = 'box category names (normal for clean films)'
        for key in (None, *self.s.extra_fold_seeds):
            seed = self.s.fold_seed if key is None else key
            suffix = '' if key is None else f'_seed{key}'
            assignment = assign_folds(films, self.s.folds, seed)
            record = folds_record(films, assignment, self.s.folds, seed, grouping,
                                  stratification)
            saved_file = self.results_dir / f'folds{suffix}.json'
            if saved_file.is_file():
                if json.loads(saved_file.read_text())['films'] != record['films']:
                    raise ValueError(f'{saved_file} holds another fold assignment than this '
                                     f'data and fold seed give; use another results_dir or '
                                     f'delete it')
            else:
                write_json_atomic(record, saved_file)
            self.records[key] = record
            self.folds[key] = [self._write_fold(pool, films, assignment, k, seed,
                                                self.work_dir / f'folds{suffix}' / f'fold{k}')
                               for k in range(self.s.folds)]

    def _write_fold(self, pool: DatasetPool, films: list, assignment: Dict[str, int], k: int,
                    seed: int, fold_dir: Path) -> Fold:
        held = [f.file_name for f in films if assignment[f.file_name] == k]
        train_y = [f for f in films if assignment[f.file_name] != k and f.labelled]
        train_x = [f.file_name for f in films if assignment[f.file_name] != k and not f.labelled]
        counts = dict(eval=pool.write_coco(held, fold_dir / 'eval.json'),
                      clean=pool.write_coco(train_x, fold_dir / 'clean_train.json'))
        fold = Fold(k, fold_dir, counts['eval']['images'], len(train_x), {})
        for fraction in self.s.fractions:
            subset = nested_subset(train_y, fraction, seed=seed)
            pool.write_coco([f.file_name for f in subset], fold.train_file(fraction))
            fold.num_real[fraction] = len(subset)
        return fold

    @cached_property
    def copy_paste_blend(self) -> str:
        """How the copy-paste arm blends: the ``copy_paste_blend`` setting, else by the
        data's channels, the blend whose crops are nearer real ones (kernel distance ratio
        to clean, docs/your-data.md section 6): Poisson on one channel (mini-MIAS, 150
        images: 0.43, feather 1.36), feather on colour (VOC, 48: 0.27, Poisson 0.94)."""
        if self.s.copy_paste_blend is not None:
            return self.s.copy_paste_blend
        return 'poisson' if dataset_meta(self.root)['channels'] == 1 else 'feather'

    def copy_paste_record(self) -> Dict[str, str]:
        """``copy_paste_blend`` for fingerprints and the report, where it is not Poisson:
        every unit made before the setting existed ran Poisson, and stays valid."""
        blend = self.copy_paste_blend
        return {} if blend == 'poisson' else dict(copy_paste_blend=blend)

    def ratio(self, arm: str) -> float:
        return main_ratio(arm, self.s.syn_per_real)

    def units(self) -> List[DetUnit]:
        """Every detector unit, in priority order (see the module docstring)."""
        s = self.s
        first = [a for a in s.arms if a not in s.late_arms]
        units = []
        for fs in (None, *s.extra_fold_seeds):
            fractions = self.fold_fractions(fs)
            units += [DetUnit(k, a, seed, 1.0, self.ratio(a), 0, fs) for k in range(s.folds)
                      for seed in s.seeds for a in first if 1.0 in fractions]
            # A fraction's control follows that fraction's curve, so each fraction's
            # evidence (the gain and what any insertion gets) completes before the next.
            # An arm named for one fraction (lc_arms_by_fraction) runs there even if it is
            # no arm of the main comparison.
            units += [DetUnit(k, a, seed, frac, self.ratio(a), 0, fs)
                      for frac in fractions if frac < 1.0
                      for arms in (curve_arms(vars(s), frac), s.lc_control_arms)
                      for k in range(s.folds) for seed in s.seeds for a in arms
                      if a in s.arms or a in s.lc_arms_by_fraction.get(f'{frac:g}', ())]
        units += [DetUnit(s.special_fold, a, seed, 1.0, r)
                  for r in s.sweep_ratios if r != s.syn_per_real for seed in s.seeds
                  for a in s.sweep_arms if a in s.arms and ARMS[a].synthetic]
        units += [DetUnit(s.special_fold, a, seed, 1.0, self.ratio(a), g)
                  for g in range(1, s.extra_gan_seeds + 1) for seed in s.seeds
                  for a in s.gan_var_arms if a in s.arms and ARMS[a].synthetic == 'gan']
        units += [DetUnit(k, a, seed, 1.0, self.ratio(a), 0, fs)
                  for fs in (None, *s.extra_fold_seeds) if 1.0 in self.fold_fractions(fs)
                  for k in range(s.folds) for seed in s.seeds for a in s.late_arms]
        return units

    def fold_fractions(self, fold_seed: Optional[int]) -> Sequence[float]:
        """The fractions whose units a fold seed runs (``extra_fold_fractions``: the
        extra fold seeds' repeat only those)."""
        if fold_seed is None or self.s.extra_fold_fractions is None:
            return self.s.fractions
        return self.s.extra_fold_fractions

    def num_syn(self, unit: DetUnit) -> int:
        if not ARMS[unit.arm].synthetic:
            return 0
        return num_synthetic(self.fold(unit).num_real[unit.fraction], unit.ratio)

    def iters(self, unit: DetUnit) -> int:
        num_real = self.fold(unit).num_real[unit.fraction]
        # The steps-matched control runs the iterations of an augmented arm at the
        # comparison's ratio, on its real films alone.
        paced_by = (num_synthetic(num_real, self.s.syn_per_real) if ARMS[unit.arm].matched_steps
                    else self.num_syn(unit))
        return detector_iters(num_real, paced_by, self.s.real_epochs, self.batch_size)

    def det_config(self, unit: DetUnit) -> str:
        return self.s.det_syn_config if unit.source else self.s.det_config

    def gan_step_cost(self, arm: str) -> float:
        variant = ARMS[arm].variant
        return self.s.costs[f'gan_step_{variant}' if variant else 'gan_step']

    def init_source(self, source: Source) -> Optional[Source]:
        """The GAN that ``source``'s GAN starts from (``gan_init_from``), if any."""
        arm = self.s.gan_init_from.get(source.arm)
        return None if arm is None else Source(source.fold, arm, source.gan_seed,
                                                source.fraction, source.fold_seed)

    def scored_sources(self, units: Sequence[DetUnit]) -> List[Source]:
        """The synthetic sources of ``units`` whose insertions get a quality score."""
        if not self.s.quality_images:
            return []
        return list(dict.fromkeys(u.source for u in units if u.source is not None))

    def cost(self, units: Sequence[DetUnit], store=None,
             scored_units: Optional[Sequence[DetUnit]] = None,
             workers: int = 2) -> Dict[str, float]:
        """Planned core-seconds of ``units`` and the GAN units / syntheses they need; with
        a ``store`` (:class:`.UnitStore`) without what exists already (what is left).
        The sources of ``scored_units`` (default ``units``) get quality scores.
        """
        c = self.s.costs
        # fsum: exactly rounded, so the totals do not depend on set iteration
        # order (string hashing is salted per process).
        det = math.fsum(self.iters(u) * c['det_step'] + 2 * c['process']
                        + (self.fold(u).num_eval + self.fold(u).num_real[u.fraction])
                        * c['score_image'] for u in units)
        sources = {u.source for u in units if u.source is not None}
        sources |= {i for i in map(self.init_source, sources) if i is not None}
        sets = {(u.source, self.num_syn(u)) for u in units if u.source is not None}
        scored = set(self.scored_sources(units if scored_units is None else scored_units))
        if store is not None:
            sets = {t for t in sets if not store.synthetic_done(*t)}
            scored = {s for s in scored if store.load_quality(s) is None}
            sources = {s for s in sources if store.gan_checkpoint(s) is None}
        gan = math.fsum(self.gan_iters[s.arm] * self.gan_step_cost(s.arm) + c['process']
                        for s in sources if s.is_gan)
        synth = math.fsum(c['process'] + n * c['synth_image'] for _, n in sets)
        quality = len(scored) * (2 * c['process'] + self.s.quality_images * c['quality_image'])
        total = det + gan + synth + quality
        return dict(detector_units=len(units), gan_units=sum(s.is_gan for s in sources),
                    synthetic_sets=len(sets), quality_sets=len(scored), detector_s=det,
                    gan_s=gan, synth_s=synth, quality_s=quality, core_hours=total / 3600,
                    wall_hours_2_cores=total / 3600 / min(2, workers))

    def describe(self, units: Sequence[DetUnit]) -> List[str]:
        """The folds, schedules and GAN settings of ``units``, for the log."""
        lines = [f'folds: {self.s.folds} ({self.record.get("grouping")}; strata: '
                 f'{self.record.get("stratification")})']
        for fold in self.folds[None]:
            lines.append(f'  fold {fold.index}: held out {fold.num_eval} films; train '
                         f'{fold.num_real[1.0]} labelled + {fold.num_clean_train} clean')
        lines.append(f'detector: {self.s.real_epochs:g} epochs over the real films, batch '
                     f'{self.batch_size}; synthetic per real: {self.s.syn_per_real:g}')
        example = {}
        for u in units:
            example.setdefault((u.arm, u.fraction, u.ratio), u)
        for (arm, frac, ratio), u in example.items():
            lines.append(f'  {arm:14s} fraction {frac:g} ratio {ratio:g}: {self.iters(u)} '
                         f'iterations (fold {u.fold}: {self.fold(u).num_real[frac]} real + '
                         f'{self.num_syn(u)} synthetic)')
        lines.append(f'GAN iterations: {self.gan_iters}; warm start: {self.s.warm_start}')
        return lines
