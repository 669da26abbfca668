"""The cross-validated small-data comparison (issue 12).

Protocol (see ``results/README.md`` for the reading and the numbers):

* **Folds.** Patient-level, stratified k-fold cross-validation over all films
  of the dataset folder (:mod:`.folds`); every lesion film and every normal
  film is held out exactly once. Each detector is scored on its held-out fold,
  lesion and normal films together (:mod:`.scoring`).
* **Arms.** The arms of :data:`.small_data.ARMS` (the five of ``DEFAULT_ARMS``
  by default) train the same detector and differ only in the synthetic set
  added to the fold's real training films; ``late_arms`` run after all else.
  Beyond the issue's five: ``dgan-unroll`` (DetectorGAN with the unroll only)
  and ``real-steps`` (real only, trained as many iterations as an augmented arm).
* **One GAN per arm and fold** (a *GAN unit*), trained on the clean films and
  the labelled films of the fold's training patients only, its in-loop
  detector warm-started from the fold's real-only detector (seed 0), shared
  by every detector seed of that fold. The detector seeds' spread therefore
  excludes GAN variance; an optional second GAN seed on one fold measures it.
* **Equal real exposure** (:mod:`.exposure`): a fixed number of epochs over
  the real training films; synthetic images are added to each epoch, so the
  iteration count grows with the synthetic set.
* **Optional modes**: a learning curve (real-only and DetectorGAN on nested
  25 / 50 % subsets of each fold's labelled training films), a sweep of the
  synthetic-per-real ratio on one fold, and extra GAN seeds on one fold.

Everything is resumable unit by unit: a finished detector unit
``(fold, arm, seed[, fraction, ratio, GAN seed])`` or GAN unit
``(fold, arm, GAN seed[, fraction])`` is a json file under
``<results_dir>/units/`` carrying a fingerprint of its settings; it is never
rerun, and a unit of other settings is refused. The report is rebuilt from
the unit files after every unit (:mod:`.cv_report`). A GAN unit commits its
inserter's weights beside its json, so that a checkout without the work dir
synthesises from it instead of retraining the GAN.
"""
import hashlib
import json
import math
import sys
import time
from concurrent.futures import FIRST_COMPLETED, ThreadPoolExecutor, wait
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Callable, Dict, Hashable, List, Optional, Sequence, Tuple

from mmdgan.fileio import write_json_atomic
from mmdgan.synthesis.inserter import save_generator

from .cv_report import write_cv_report
from .exposure import detector_iters, num_synthetic, real_passes
from .folds import (
    PATIENT_FIELD,
    DatasetPool,
    assign_folds,
    folds_record,
    mias_patient,
    mias_strata,
    nested_subset,
    pool_films,
)
from .scoring import OP_SENSITIVITY
from .small_data import ARMS, detector_family, find_gan_config
from .steps import (
    REPO_ROOT,
    ToolRunner,
    cfg_options,
    config_iters,
    load_cfg,
    schedule_options,
)

#: Reported metric -> key in the scoring tool's metrics.
CV_METRICS = {'AP50': 'coco/bbox_mAP_50', 'mAP': 'coco/bbox_mAP',
              'loc_top1': 'loc/acc_top1_iou50', 'loc_top2': 'loc/acc_top2_iou50',
              'det_per_normal': 'det_per_normal', 'sens_at_op': 'sens_at_op',
              'op_threshold': 'op_threshold', 'op_reached': 'op_reached'}

#: DetectorGAN config key that warm-starts its in-loop detector from a checkpoint.
DETECTOR_INIT_KEY = 'model.detector_checkpoint'

#: Documented default costs, seconds on one core of the 2-core machine (see
#: results/README.md "Speed"): detector / GAN step, per process start-up,
#: per image scored, per image synthesized, per film of a quality score
#: (synthesised and embedded: 500 films took ~50 s on mini-MIAS).
DEFAULT_COSTS = dict(det_step=0.8, gan_step=4.4, gan_step_nounroll=2.9, gan_step_nodet=2.7,
                     process=20.0, score_image=0.05, synth_image=0.3, quality_image=0.1)

#: Crop embedding of the insertion-quality scores (tools/analysis_tools/insertion_quality.py).
QUALITY_EMBEDDER = dict(crop_size=128, context=0.5, feature='head')


def detector_init_options(checkpoint: Path) -> Dict[str, object]:
    """``--cfg-options`` that start DetectorGAN's in-loop detector from ``checkpoint``.

    The one place that knows the config key of the warm start; point it at
    whatever the model accepts.
    """
    return {DETECTOR_INIT_KEY: str(checkpoint)}


@dataclass(frozen=True)
class DetUnit:
    """One detector run: an arm on one fold with one seed."""

    fold: int
    arm: str
    seed: int
    fraction: float = 1.0
    ratio: float = 0.0
    gan_seed: int = 0

    def name(self, default_ratio: float) -> str:
        text = f'{self.arm}_fold{self.fold}_seed{self.seed}'
        if self.fraction != 1.0:
            text += f'_frac{self.fraction:g}'
        if ARMS[self.arm].synthetic and self.ratio != default_ratio:
            text += f'_ratio{self.ratio:g}'
        if self.gan_seed:
            text += f'_gan{self.gan_seed}'
        return text

    @property
    def source(self) -> Optional['Source']:
        """The synthetic source this run needs (``None`` for real only)."""
        if not ARMS[self.arm].synthetic:
            return None
        return Source(self.fold, self.arm, self.gan_seed, self.fraction)


@dataclass(frozen=True)
class Source:
    """A synthetic-image source: one GAN (or the copy-paste sampler) of one fold."""

    fold: int
    arm: str
    gan_seed: int = 0
    fraction: float = 1.0

    def name(self) -> str:
        text = f'{self.arm}_fold{self.fold}_gan{self.gan_seed}'
        return text + (f'_frac{self.fraction:g}' if self.fraction != 1.0 else '')

    @property
    def is_gan(self) -> bool:
        return ARMS[self.arm].synthetic == 'gan'


@dataclass
class CVSettings:
    """Everything that defines one cross-validated comparison.

    Attributes:
        data: Name in the report (``demo``, ``mini-mias`` or the folder's name).
        data_root: Converted dataset folder (``images/`` + six COCO files).
        arms: Arm names, in report order.
        late_arms: Arms (of ``arms``) whose units run after every other unit
            (the learning curve, sweep and GAN variance included): additions
            to a comparison that must not delay it.
        seeds: Detector seeds (per fold).
        work_dir: Runs, fold files and synthetic sets.
        results_dir: ``folds.json``, ``units/``, ``table.md``, ``results.json``, figures.
        det_config: Detector config, real data only.
        det_syn_config: Same detector with ``ConcatDataset(real, synthetic)``.
        gan_configs: Arm -> DetectorGAN config; missing ones are found from ``config_tag``.
        config_tag: File-name suffix of the GAN configs.
        gan_family: Detector family of the GAN configs (``retinanet-r18``, ...);
            default: the downstream detector's (:func:`.small_data.detector_family`).
        folds: Number of folds k.
        fold_seed: Seed of the fold assignment.
        info_file: mini-MIAS ``Info.txt`` (strata by abnormality class and
            patients by film number); ``None``: generic folder rules.
        real_epochs: Passes of every detector over its real training films.
        gan_iters: GAN iterations (``None``: the config's).
        syn_per_real: Synthetic images per real training film.
        fractions: Learning-curve fractions of the labelled training films
            (``1.0`` is the main comparison).
        lc_arms: Arms of the learning curve.
        lc_control_arms: Further learning-curve arms that tell what a gain of
            ``lc_arms`` at small fractions comes from (copy-paste: the clean
            films as backgrounds with real lesions pasted in); a fraction's
            control units run right after that fraction's ``lc_arms`` units.
        sweep_ratios: Extra synthetic-per-real ratios, on ``special_fold``.
        sweep_arms: Arms of the ratio sweep.
        extra_gan_seeds: Further GAN seeds on ``special_fold`` (GAN variance).
        gan_var_arms: Arms that get the extra GAN seeds.
        special_fold: Fold of the sweep and of the GAN variance.
        warm_start: Start each GAN's in-loop detector from the fold's real-only
            detector (seed 0, same fraction).
        op_sensitivity: Training sensitivity that fixes the operating point.
        quality_images: Films synthesised per synthetic source (GAN or copy-paste)
            to score its insertions: kernel and Fréchet distances of inserted to
            the fold's training lesion crops, with the clean crops at the same
            boxes as reference (0: not scored). Separate from the training sets,
            which are too small for a stable estimate.
        det_options: Extra ``--cfg-options`` of every detector run.
        gan_options: Extra ``--cfg-options`` of every GAN run.
        costs: Seconds per step / process / image for the plan (:data:`DEFAULT_COSTS`).
        threads: OpenMP threads per tool process.
        jobs: Units run side by side.
        python: Interpreter running the tools.
        in_process: Run the tools inside this process (tests; needs ``jobs=1``).
    """

    data: str
    data_root: str
    arms: Sequence[str]
    seeds: Sequence[int]
    work_dir: str
    results_dir: str
    det_config: str
    det_syn_config: str
    gan_configs: Dict[str, str] = field(default_factory=dict)
    late_arms: Sequence[str] = ()
    config_tag: str = ''
    gan_family: str = ''
    folds: int = 5
    fold_seed: int = 0
    info_file: Optional[str] = None
    real_epochs: float = 40.0
    gan_iters: Optional[int] = None
    syn_per_real: float = 1.0
    fractions: Sequence[float] = (1.0,)
    lc_arms: Sequence[str] = ('real', 'dgan')
    lc_control_arms: Sequence[str] = ()
    sweep_ratios: Sequence[float] = ()
    sweep_arms: Sequence[str] = ('dgan',)
    extra_gan_seeds: int = 0
    gan_var_arms: Sequence[str] = ('dgan',)
    special_fold: int = 0
    warm_start: bool = True
    op_sensitivity: float = OP_SENSITIVITY
    quality_images: int = 500
    det_options: Dict[str, object] = field(default_factory=dict)
    gan_options: Dict[str, object] = field(default_factory=dict)
    costs: Dict[str, float] = field(default_factory=dict)
    threads: int = 1
    jobs: int = 1
    python: str = sys.executable
    in_process: bool = False

    def __post_init__(self) -> None:
        unknown = [a for a in (*self.arms, *self.lc_arms, *self.lc_control_arms,
                               *self.sweep_arms, *self.gan_var_arms) if a not in ARMS]
        if unknown:
            raise ValueError(f'unknown arm(s) {unknown}; choose from {list(ARMS)}')
        stray = [a for a in self.lc_control_arms if a not in self.arms or a in self.lc_arms]
        if stray:
            raise ValueError(f'lc_control_arms {stray} must be arms of the comparison '
                             f'{list(self.arms)} and not of lc_arms {list(self.lc_arms)}')
        if not self.seeds:
            raise ValueError('at least one detector seed is needed')
        stray = [a for a in self.late_arms if a not in self.arms]
        if stray:
            raise ValueError(f'late_arms {stray} are not arms of the comparison {list(self.arms)}')
        if self.quality_images < 0 or self.quality_images == 1:
            raise ValueError(f'quality_images must be 0 (off) or >= 2, got {self.quality_images}')
        if self.threads < 1 or self.jobs < 1:
            raise ValueError(f'threads ({self.threads}) and jobs ({self.jobs}) must be >= 1')
        if self.in_process and self.jobs != 1:
            raise ValueError(f'in-process steps run one at a time: jobs must be 1, got {self.jobs}')
        if not 0 <= self.special_fold < self.folds:
            raise ValueError(f'special_fold {self.special_fold} is not a fold of {self.folds}')
        if self.syn_per_real <= 0 or any(r <= 0 for r in self.sweep_ratios):
            raise ValueError('synthetic-per-real ratios must be > 0')
        if any(not 0 < f <= 1 for f in self.fractions):
            raise ValueError(f'fractions must lie in (0, 1], got {list(self.fractions)}')
        self.fractions = sorted(set(self.fractions) | {1.0})
        self.costs = {**DEFAULT_COSTS, **self.costs}
        self.config_tag = self.config_tag or self.data
        self.gan_family = self.gan_family or detector_family(self.det_config)
        for name in (self.det_config, self.det_syn_config, *self.gan_configs.values()):
            if not (REPO_ROOT / name).is_file() and not Path(name).is_file():
                raise FileNotFoundError(f'config file not found: {name}')
        if self.info_file is not None and not Path(self.info_file).is_file():
            raise FileNotFoundError(f'mini-MIAS Info.txt not found: {self.info_file}')
        needed = {a for a in self.arms if ARMS[a].synthetic == 'gan'}
        if 'copy-paste' in self.arms:
            needed.add('dgan')  # copy-paste takes the full DetectorGAN's box sampler and size
        for arm in sorted(needed):
            if arm not in self.gan_configs:
                self.gan_configs[arm] = find_gan_config(self.config_tag, ARMS[arm].variant,
                                                        family=self.gan_family)


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


def _digest(obj) -> str:
    return hashlib.sha1(json.dumps(obj, sort_keys=True).encode()).hexdigest()[:16]


class CVExperiment(ToolRunner):
    """Plans, runs and reports a :class:`CVSettings` comparison."""

    def __init__(self, settings: CVSettings, log: Callable[[str], None] = print) -> None:
        super().__init__(settings.threads, settings.python, log, settings.in_process)
        self.s = settings
        self.root = Path(settings.data_root).resolve()
        self.work_dir = Path(settings.work_dir).resolve()
        self.results_dir = Path(settings.results_dir).resolve()
        self.units_dir = self.results_dir / 'units'
        det_cfg = load_cfg(settings.det_config)
        self.batch_size = int(settings.det_options.get(
            'train_dataloader.batch_size', det_cfg.train_dataloader.batch_size))
        self.gan_iters = {a: settings.gan_iters or config_iters(c)
                          for a, c in settings.gan_configs.items()}
        self.folds: List[Fold] = []
        self.record: dict = {}
        self._config_digests: Dict[str, str] = {}

    # --- folds ------------------------------------------------------------
    def prepare_folds(self) -> List[Fold]:
        """Assign folds (checked against a saved ``folds.json``) and write the fold files."""
        pool = DatasetPool(self.root)
        if self.s.info_file:
            films = pool_films(pool, mias_strata(self.s.info_file), mias_patient)
            grouping = 'mini-MIAS patient (films 2k-1, 2k)'
            stratification = 'abnormality class from Info.txt (NORM for normal films)'
        else:
            films = pool_films(pool)
            has_patient = any(PATIENT_FIELD in img for img in pool.images.values())
            grouping = (f'image {PATIENT_FIELD} field' if has_patient
                        else f'image (no {PATIENT_FIELD} field)')
            stratification = 'box category names (normal for clean films)'
        assignment = assign_folds(films, self.s.folds, self.s.fold_seed)
        record = folds_record(films, assignment, self.s.folds, self.s.fold_seed, grouping,
                              stratification)
        saved_file = self.results_dir / 'folds.json'
        if saved_file.is_file():
            saved = json.loads(saved_file.read_text())
            if saved['films'] != record['films']:
                raise ValueError(f'{saved_file} holds another fold assignment than this data '
                                 f'and fold seed give; use another --results-dir or delete it')
        else:
            write_json_atomic(record, saved_file)
        self.record = record
        self.folds = []
        for k in range(self.s.folds):
            fold_dir = self.work_dir / 'folds' / f'fold{k}'
            held = [f.file_name for f in films if assignment[f.file_name] == k]
            train_y = [f for f in films if assignment[f.file_name] != k and f.labelled]
            train_x = [f.file_name for f in films if assignment[f.file_name] != k
                       and not f.labelled]
            counts = dict(eval=pool.write_coco(held, fold_dir / 'eval.json'),
                          clean=pool.write_coco(train_x, fold_dir / 'clean_train.json'))
            fold = Fold(k, fold_dir, counts['eval']['images'], len(train_x), {})
            for fraction in self.s.fractions:
                subset = nested_subset(train_y, fraction, seed=self.s.fold_seed)
                pool.write_coco([f.file_name for f in subset], fold.train_file(fraction))
                fold.num_real[fraction] = len(subset)
            self.folds.append(fold)
        return self.folds

    @property
    def folds_digest(self) -> str:
        return _digest(self.record['films'])

    # --- plan ---------------------------------------------------------------
    def ratio(self, arm: str) -> float:
        return self.s.syn_per_real if ARMS[arm].synthetic else 0.0

    def plan(self) -> List[DetUnit]:
        """Every detector unit: main comparison, learning curve (each fraction followed by its
        controls), sweep, GAN variance, late arms."""
        s = self.s
        first = [a for a in s.arms if a not in s.late_arms]
        units = [DetUnit(k, a, seed, 1.0, self.ratio(a))
                 for k in range(s.folds) for seed in s.seeds for a in first]
        # A fraction's control follows that fraction's curve, so each fraction's
        # evidence (the gain and what any insertion gets) completes before the next.
        units += [DetUnit(k, a, seed, frac, self.ratio(a))
                  for frac in s.fractions if frac < 1.0
                  for arms in (s.lc_arms, s.lc_control_arms) for k in range(s.folds)
                  for seed in s.seeds for a in arms if a in s.arms]
        units += [DetUnit(s.special_fold, a, seed, 1.0, r)
                  for r in s.sweep_ratios if r != s.syn_per_real for seed in s.seeds
                  for a in s.sweep_arms if a in s.arms and ARMS[a].synthetic]
        units += [DetUnit(s.special_fold, a, seed, 1.0, self.ratio(a), g)
                  for g in range(1, s.extra_gan_seeds + 1) for seed in s.seeds
                  for a in s.gan_var_arms if a in s.arms and ARMS[a].synthetic == 'gan']
        units += [DetUnit(k, a, seed, 1.0, self.ratio(a))
                  for k in range(s.folds) for seed in s.seeds for a in s.late_arms]
        return units

    def num_syn(self, unit: DetUnit) -> int:
        if not ARMS[unit.arm].synthetic:
            return 0
        return num_synthetic(self.folds[unit.fold].num_real[unit.fraction], unit.ratio)

    def iters(self, unit: DetUnit) -> int:
        num_real = self.folds[unit.fold].num_real[unit.fraction]
        # The steps-matched control runs the iterations of an augmented arm at the
        # comparison's ratio, on its real films alone.
        paced_by = (num_synthetic(num_real, self.s.syn_per_real) if ARMS[unit.arm].matched_steps
                    else self.num_syn(unit))
        return detector_iters(num_real, paced_by, self.s.real_epochs, self.batch_size)

    def gan_step_cost(self, arm: str) -> float:
        variant = ARMS[arm].variant
        return self.s.costs[f'gan_step_{variant}' if variant else 'gan_step']

    def cost(self, units: Sequence[DetUnit], skip_done: bool = False,
             scored_units: Optional[Sequence[DetUnit]] = None) -> Dict[str, float]:
        """Planned core-seconds of ``units`` and the GAN units / syntheses they need.

        With ``skip_done``, GAN units, synthetic sets and quality scores that
        exist already are not counted (what is left to run). The sources of
        ``scored_units`` (default ``units``) get quality scores.
        """
        c = self.s.costs
        # fsum: exactly rounded, so the totals do not depend on set iteration
        # order (string hashing is salted per process).
        det = math.fsum(self.iters(u) * c['det_step'] + 2 * c['process']
                  + (self.folds[u.fold].num_eval + self.folds[u.fold].num_real[u.fraction])
                  * c['score_image'] for u in units)
        sources = {u.source for u in units if u.source is not None}
        sets = {(u.source, self.num_syn(u)) for u in units if u.source is not None}
        scored = set(self.sources(units if scored_units is None else scored_units))
        if skip_done:
            sets = {t for t in sets if not self.synthetic_done(*t)}
            scored = {s for s in scored if self.load_quality(s) is None}
            sources = {s for s in sources if self.gan_checkpoint(s) is None}
        gan = math.fsum(self.gan_iters[s.arm] * self.gan_step_cost(s.arm) + c['process']
                  for s in sources if s.is_gan)
        synth = math.fsum(c['process'] + n * c['synth_image'] for _, n in sets)
        quality = len(scored) * (2 * c['process'] + self.s.quality_images * c['quality_image'])
        total = det + gan + synth + quality
        return dict(detector_units=len(units), gan_units=sum(s.is_gan for s in sources),
                    synthetic_sets=len(sets), quality_sets=len(scored), detector_s=det,
                    gan_s=gan, synth_s=synth, quality_s=quality,
                    core_hours=total / 3600,
                    wall_hours_2_cores=total / 3600 / min(2, self.s.jobs))

    def describe_plan(self, units: Sequence[DetUnit], todo: Sequence[DetUnit]) -> str:
        lines = [f'folds: {self.s.folds} ({self.record.get("grouping")}; strata: '
                 f'{self.record.get("stratification")})']
        for fold in self.folds:
            lines.append(f'  fold {fold.index}: held out {fold.num_eval} films; train '
                         f'{fold.num_real[1.0]} labelled + {fold.num_clean_train} clean')
        lines.append(f'detector: {self.s.real_epochs:g} epochs over the real films, batch '
                     f'{self.batch_size}; synthetic per real: {self.s.syn_per_real:g}')
        example = {}
        for u in units:
            example.setdefault((u.arm, u.fraction, u.ratio), u)
        for (arm, frac, ratio), u in example.items():
            lines.append(f'  {arm:14s} fraction {frac:g} ratio {ratio:g}: {self.iters(u)} '
                         f'iterations (fold {u.fold}: {self.folds[u.fold].num_real[frac]} real + '
                         f'{self.num_syn(u)} synthetic)')
        lines.append(f'GAN iterations: {self.gan_iters}; warm start: {self.s.warm_start}')
        for label, subset, skip in (('planned', units, False), ('to run', todo, True)):
            c = self.cost(subset, skip_done=skip, scored_units=units)
            lines.append(
                f'{label}: {c["detector_units"]} detector units, {c["gan_units"]} GAN units, '
                f'{c["synthetic_sets"]} synthetic sets, {c["quality_sets"]} quality scores: '
                f'{c["core_hours"]:.2f} CPU core-hours, '
                f'~{c["wall_hours_2_cores"]:.2f} h on 2 cores with {min(2, self.s.jobs)} '
                f'job(s) (costs: {self.s.costs})')
        return '\n'.join(lines)

    # --- options --------------------------------------------------------------
    def _data_options(self, fold: Fold, fraction: float) -> Dict[str, object]:
        root = f'{self.root}/'
        train = str(fold.train_file(fraction))
        # The Runner builds the val loop (dataset and CocoMetric) even when it
        # never validates, so its paths must exist too.
        return {'train_dataloader.dataset.data_root': root,
                'train_dataloader.dataset.clean_ann_file': str(fold.clean_file),
                'train_dataloader.dataset.labelled_ann_file': train,
                'train_dataloader.dataset.box_sampler.ann_file': train,
                'val_dataloader.dataset.data_root': root,
                'val_dataloader.dataset.ann_file': str(fold.eval_file),
                'val_evaluator.ann_file': str(fold.eval_file)}

    def gan_options(self, source: Source) -> Dict[str, object]:
        fold = self.folds[source.fold]
        opts = {**self._data_options(fold, source.fraction), 'randomness.seed': source.gan_seed,
                'train_cfg.val_begin': 10**9, 'train_cfg.max_iters': self.gan_iters[source.arm],
                **self.s.gan_options}
        return opts

    def det_options(self, unit: DetUnit, synthetic: Optional[Path]) -> Dict[str, object]:
        fold = self.folds[unit.fold]
        root = f'{self.root}/'
        real = 'train_dataloader.dataset.' + ('datasets.0.' if synthetic else '')
        opts: Dict[str, object] = {'randomness.seed': unit.seed, f'{real}data_root': root,
                                   f'{real}ann_file': str(fold.train_file(unit.fraction))}
        if synthetic is not None:
            opts['train_dataloader.dataset.datasets.1.data_root'] = f'{synthetic}/'
        opts.update({'val_dataloader.dataset.data_root': root,
                     'val_dataloader.dataset.ann_file': str(fold.eval_file),
                     'val_evaluator.0.ann_file': str(fold.eval_file),
                     **schedule_options(self.det_config(unit), self.iters(unit)),
                     # No validation during training: the last checkpoint is scored.
                     'train_cfg.val_begin': 10**9, **self.s.det_options})
        return opts

    def test_options(self) -> Dict[str, object]:
        return {'test_dataloader.dataset.data_root': f'{self.root}/',
                **{k: v for k, v in self.s.det_options.items()
                   if k.startswith(('test_dataloader', 'test_evaluator'))}}

    # --- fingerprints -----------------------------------------------------------
    def source_fingerprint(self, source: Source) -> dict:
        fold = self.folds[source.fold]
        fp = dict(data=self.s.data, folds=self.folds_digest, fold=source.fold, arm=source.arm,
                  gan_seed=source.gan_seed, fraction=source.fraction,
                  num_real=fold.num_real[source.fraction],
                  config=self.s.gan_configs.get('dgan' if not source.is_gan else source.arm))
        if source.is_gan:
            # The config's resolved content, not only its path: a GAN trained before
            # a config (or one of its _base_ files) changed must not be reused.
            fp.update(gan_iters=self.gan_iters[source.arm], gan_options=dict(self.s.gan_options),
                      warm_start=self.s.warm_start,
                      config_digest=self.config_digest(self.s.gan_configs[source.arm]))
        return json.loads(json.dumps(fp))

    def config_digest(self, config: str) -> str:
        """Digest of a config file's resolved content (its _base_ files included)."""
        if config not in self._config_digests:
            self._config_digests[config] = _digest(load_cfg(config).to_dict())
        return self._config_digests[config]

    def unit_fingerprint(self, unit: DetUnit) -> dict:
        fp = dict(data=self.s.data, folds=self.folds_digest, fold=unit.fold, arm=unit.arm,
                  seed=unit.seed, fraction=unit.fraction, ratio=unit.ratio,
                  gan_seed=unit.gan_seed,
                  det_config=self.det_config(unit),
                  det_options=dict(self.s.det_options), real_epochs=self.s.real_epochs,
                  batch_size=self.batch_size, iters=self.iters(unit),
                  num_real=self.folds[unit.fold].num_real[unit.fraction],
                  num_syn=self.num_syn(unit), op_sensitivity=self.s.op_sensitivity,
                  source=self.source_fingerprint(unit.source) if unit.source else None)
        return json.loads(json.dumps(fp))

    def _load(self, path: Path, expected: dict) -> Optional[dict]:
        if not path.is_file():
            return None
        unit = json.loads(path.read_text())
        if unit.get('fingerprint') != expected:
            raise ValueError(f'{path} was made with other settings ({unit.get("fingerprint")} '
                             f'vs {expected}); use another --results-dir or delete it')
        return unit

    def det_file(self, unit: DetUnit) -> Path:
        return self.units_dir / 'det' / f'{unit.name(self.s.syn_per_real)}.json'

    def gan_file(self, source: Source) -> Path:
        return self.units_dir / 'gan' / f'{source.name()}.json'

    def load_unit(self, unit: DetUnit) -> Optional[dict]:
        return self._load(self.det_file(unit), self.unit_fingerprint(unit))

    def load_gan(self, source: Source) -> Optional[dict]:
        """The unit file of ``source``'s finished GAN (``None`` if it has not run)."""
        return self._load(self.gan_file(source), self.source_fingerprint(source))

    # --- steps ------------------------------------------------------------------
    def _unit_dir(self, fold: int, fraction: float, arm: str) -> Path:
        return self.work_dir / f'fold{fold}' / f'frac{fraction:g}' / arm

    # Work dirs carry the digest of their unit's fingerprint: a run of other settings
    # (another GAN config, say) gets a fresh dir, never resumes a stale checkpoint or
    # reuses a stale synthetic set.
    def _det_dir(self, unit: DetUnit) -> Path:
        name = unit.name(self.s.syn_per_real)
        return self._unit_dir(unit.fold, unit.fraction, unit.arm) / \
            f'{name}-{_digest(self.unit_fingerprint(unit))[:8]}'

    def _source_dir(self, source: Source) -> Path:
        return self._unit_dir(source.fold, source.fraction, source.arm) / \
            f'gan{source.gan_seed}-{_digest(self.source_fingerprint(source))[:8]}'

    def det_config(self, unit: DetUnit) -> str:
        return self.s.det_syn_config if unit.source else self.s.det_config

    def train_detector(self, unit: DetUnit, synthetic: Optional[Path],
                       commands: List[str]) -> Path:
        return self._train(self.det_config(unit), self._det_dir(unit) / 'detector',
                           self.iters(unit), self.det_options(unit, synthetic), commands)

    def warm_checkpoint(self, fold: int, fraction: float, commands: List[str]) -> Path:
        """The real-only seed-0 detector of ``(fold, fraction)`` that the GANs start from.

        The checkpoint its finished unit recorded; else the run is resumed (or,
        if its work dir is gone, deterministically redone).
        """
        real = DetUnit(fold, 'real', 0, fraction)
        done = self.load_unit(real)
        if done is not None and Path(done['checkpoint']).is_file():
            return Path(done['checkpoint'])
        return self.train_detector(real, None, commands)

    def inserter_file(self, source: Source) -> Path:
        """The committed inserter weights of a finished GAN unit (beside its json)."""
        return self.units_dir / 'gan' / f'{source.name()}_inserter.pth'

    def gan_checkpoint(self, source: Source) -> Optional[Path]:
        """The checkpoint of a finished GAN unit (``None`` if it has not run).

        The full checkpoint while its work dir exists, else the inserter weights
        committed with the unit: a fresh checkout synthesises without retraining.
        """
        if not source.is_gan:
            return None
        unit = self.load_gan(source)
        if unit is None:
            return None
        for path in (Path(unit['checkpoint']), self.inserter_file(source)):
            if path.is_file():
                return path
        return None

    def synthetic_dir(self, source: Source, num: int) -> Path:
        """Where the ``num`` synthetic images of ``source`` are written."""
        return self._source_dir(source) / f'synthetic_n{num}'

    def synthetic_done(self, source: Source, num: int) -> bool:
        """Whether that set exists (its train.json is written atomically, last)."""
        return (self.synthetic_dir(source, num) / 'train.json').is_file()

    def train_gan(self, source: Source) -> Path:
        """Train (or load) the GAN of ``source``; its unit file records the run."""
        gan_dir = self._source_dir(source) / 'gan'
        done = self.gan_checkpoint(source)
        if done is not None:
            return done
        expected = self.source_fingerprint(source)
        commands: List[str] = []
        start = time.time()
        opts = self.gan_options(source)
        if self.s.warm_start:
            opts.update(detector_init_options(
                self.warm_checkpoint(source.fold, source.fraction, commands)))
        self.log(f'[GAN {source.name()}] start')
        ckpt = self._train(self.s.gan_configs[source.arm], gan_dir, self.gan_iters[source.arm],
                           opts, commands)
        save_generator(str(ckpt), str(self.inserter_file(source)))
        write_json_atomic(dict(source=asdict(source), checkpoint=str(ckpt),
                               inserter=self.inserter_file(source).name, commands=commands,
                               fingerprint=expected, threads=self.s.threads,
                               seconds=round(time.time() - start, 1)), self.gan_file(source))
        self.log(f'[GAN {source.name()}] done ({time.time() - start:.0f} s)')
        return ckpt

    def synthesize(self, source: Source, num: int, commands: List[str]) -> Path:
        """Make (or reuse) ``num`` synthetic images of ``source``."""
        fold = self.folds[source.fold]
        out = self.synthetic_dir(source, num)
        if self.synthetic_done(source, num):
            return out
        common = ['--clean', str(fold.clean_file), '--num', str(num), '--out', str(out),
                  '--seed', str(source.gan_seed), '--no-progress', '--overwrite']
        if source.is_gan:
            config = self.s.gan_configs[source.arm]
            cmd = [*self._tool('synthesize.py'), config, str(self.train_gan(source)), *common,
                   *cfg_options(self.gan_options(source))]
        else:
            # The full DetectorGAN config gives the box sampler (prior from the
            # fold's training boxes), target class and resolution of the GAN arms.
            cmd = [*self._tool('synthesize.py'), self.s.gan_configs['dgan'],
                   '--method', 'copy-paste', '--labelled',
                   str(fold.train_file(source.fraction)), *common,
                   *cfg_options(self._data_options(fold, source.fraction))]
        self._run(cmd, out.parent / f'synthesize_n{num}.log', commands)
        return out

    # --- insertion quality ------------------------------------------------------
    def quality_file(self, source: Source) -> Path:
        return self.units_dir / 'quality' / f'{source.name()}.json'

    def quality_fingerprint(self, source: Source) -> dict:
        return json.loads(json.dumps(dict(source=self.source_fingerprint(source),
                                          images=self.s.quality_images,
                                          embedder=QUALITY_EMBEDDER)))

    def load_quality(self, source: Source) -> Optional[dict]:
        """The insertion-quality score of ``source`` if it was measured."""
        return self._load(self.quality_file(source), self.quality_fingerprint(source))

    def measure_quality(self, source: Source) -> dict:
        """Score ``quality_images`` insertions of ``source`` (or load the score).

        The real reference is the fold's training lesions of the source's
        fraction, the only lesions the source may have seen: no held-out film
        enters the score.
        """
        done = self.load_quality(source)
        if done is not None:
            return done
        commands: List[str] = []
        start = time.time()
        num = self.s.quality_images
        synthetic = self.synthesize(source, num, commands) / 'train.json'
        out = synthetic.parent.with_name(f'quality_n{num}.json')
        cmd = [*self._tool('analysis_tools/insertion_quality.py'),
               str(self.folds[source.fold].train_file(source.fraction)),
               f'{source.arm}={synthetic}', '--clean-reference', str(synthetic),
               *(f'--{k.replace("_", "-")}={v}' for k, v in QUALITY_EMBEDDER.items()),
               '--out', str(out)]
        self._run(cmd, out.with_suffix('.log'), commands)
        report = json.loads(out.read_text())['report']
        result = dict(source=asdict(source), name=source.name(), images=num,
                      real_crops=report['real']['num_crops'], inserted=report[source.arm],
                      clean=report['clean'], commands=commands,
                      fingerprint=self.quality_fingerprint(source), threads=self.s.threads,
                      seconds=round(time.time() - start, 1))
        write_json_atomic(result, self.quality_file(source))
        self.log(f'[quality {source.name()}] kernel distance '
                 f'{1e3 * result["inserted"]["kernel"]:.1f}e-3 '
                 f'(clean {1e3 * result["clean"]["kernel"]:.1f}e-3)')
        return result

    def run_unit(self, unit: DetUnit) -> dict:
        """Run one detector unit, or load it if it finished before."""
        done = self.load_unit(unit)
        if done is not None:
            return done
        name = unit.name(self.s.syn_per_real)
        commands: List[str] = []
        start = time.time()
        self.log(f'[{name}] start')
        synthetic = (self.synthesize(unit.source, self.num_syn(unit), commands)
                     if unit.source else None)
        ckpt = self.train_detector(unit, synthetic, commands)
        config = self.det_config(unit)
        fold = self.folds[unit.fold]
        score_dir = self._det_dir(unit) / 'score'
        metrics_file = score_dir / 'metrics.json'
        cmd = [*self._tool('experiments/score_detector.py'), config, str(ckpt),
               '--eval-ann', str(fold.eval_file), '--op-ann', str(fold.train_file(unit.fraction)),
               '--out-dir', str(score_dir), '--metrics-out', str(metrics_file),
               '--op-sensitivity', str(self.s.op_sensitivity),
               *cfg_options(self.test_options())]
        self._run(cmd, score_dir / 'score.log', commands)
        raw = json.loads(metrics_file.read_text())
        missing = [k for k in CV_METRICS.values() if k not in raw]
        if missing:
            raise KeyError(f'{metrics_file} lacks {missing}: check the test evaluators '
                           f'(CocoMetric first, LocalizationAccuracy with top_k=[1, 2])')
        iters = self.iters(unit)
        result = dict(unit=asdict(unit), name=name,
                      metrics={m: raw[k] for m, k in CV_METRICS.items()}, raw_metrics=raw,
                      iters=iters, num_real=fold.num_real[unit.fraction],
                      num_syn=self.num_syn(unit), num_eval=fold.num_eval,
                      real_passes=real_passes(fold.num_real[unit.fraction], self.num_syn(unit),
                                              iters, self.batch_size),
                      checkpoint=str(ckpt), synthetic=str(synthetic) if synthetic else None,
                      commands=commands, fingerprint=self.unit_fingerprint(unit),
                      threads=self.s.threads, seconds=round(time.time() - start, 1))
        write_json_atomic(result, self.det_file(unit))
        self.log(f'[{name}] AP50 {result["metrics"]["AP50"]:.4f} ({result["seconds"]} s)')
        return result

    # --- run --------------------------------------------------------------------
    def task_graph(self, todo: Sequence[DetUnit], unscored: Sequence[Source] = ()
                   ) -> Dict[Tuple[str, Hashable], tuple]:
        """Every step ``todo`` and the quality scores of ``unscored`` need, mapped to
        the steps they wait for.

        Steps: ``('det', unit)``, ``('warm', (fold, fraction))`` (the real-only
        detector a GAN starts from), ``('gan', source)``, ``('synth', (source,
        num))`` and ``('quality', source)``. Insertion order is priority order: a
        step comes right before the first unit that needs it, so that the plan's
        order (main comparison fold by fold, then learning curve, sweep and GAN
        variance) is also the order in which complete, pairable results appear;
        a source's quality score follows its first unit. Scores of sources whose
        units are all done come first (minutes each).
        """
        graph: Dict[Tuple[str, Hashable], tuple] = {}
        todo_set = set(todo)
        unscored = list(unscored)
        pending_sources = {u.source for u in todo}
        for source in unscored:
            if source not in pending_sources:
                graph[('quality', source)] = ()
        for unit in todo:
            source = unit.source
            needs: tuple = ()
            if source is not None and source.is_gan:
                gan = ('gan', source)
                if gan not in graph:
                    gan_needs: tuple = ()
                    # A finished GAN (its inserter committed) needs no warm detector.
                    if self.s.warm_start and self.gan_checkpoint(source) is None:
                        warm = ('warm', (source.fold, source.fraction))
                        real = DetUnit(source.fold, 'real', 0, source.fraction)
                        # The warm run and the real-only seed-0 unit train in the same work
                        # dir: never side by side.
                        graph.setdefault(warm, (('det', real),) if real in todo_set else ())
                        gan_needs = (warm,)
                    graph[gan] = gan_needs
                needs = (gan,)
            if source is not None:
                synth = ('synth', (source, self.num_syn(unit)))
                graph.setdefault(synth, needs)
                needs = (synth,)
            graph[('det', unit)] = needs
            if source in unscored and ('quality', source) not in graph:
                graph[('quality', source)] = (('gan', source),) if source.is_gan else ()
        return graph

    def run_graph(self, graph: Dict[Tuple[str, Hashable], tuple],
                  work: Callable[[Tuple[str, Hashable]], None]) -> None:
        """Run the steps of ``graph``, ``jobs`` at a time, each as soon as its inputs exist.

        A failed step does not idle the machine for the rest of a long run: the
        steps that need its output are dropped, every other step still runs (each
        is resumable, so a rerun after the fix repeats nothing), and then one
        error names every failure.
        """
        pending = list(graph)
        done: set = set()
        failed: Dict[Tuple[str, Hashable], BaseException] = {}
        dropped: List[Tuple[str, Hashable]] = []
        running: dict = {}
        with ThreadPoolExecutor(max_workers=self.s.jobs) as pool:
            while pending or running:
                while True:  # transitively: a dropped step's dependents go too
                    blocked = [t for t in pending
                               if any(d in failed or d in dropped for d in graph[t])]
                    if not blocked:
                        break
                    pending = [t for t in pending if t not in blocked]
                    dropped.extend(blocked)
                ready = [t for t in pending if all(d in done for d in graph[t])]
                for task in ready[:self.s.jobs - len(running)]:
                    pending.remove(task)
                    running[pool.submit(work, task)] = task
                if not running:
                    if pending:
                        raise RuntimeError(f'steps wait for steps that never run: {pending[:3]}')
                    break
                finished, _ = wait(running, return_when=FIRST_COMPLETED)
                for future in finished:
                    task = running.pop(future)
                    error = future.exception()
                    if error is None:
                        done.add(task)
                    else:
                        failed[task] = error
                        first_line = (str(error).splitlines() or [repr(error)])[0]
                        self.log(f'[{task[0]} {task[1]}] FAILED: {first_line}')
        if failed:
            first = next(iter(failed.values()))
            raise RuntimeError(
                f'{len(failed)} step(s) failed ({", ".join(f"{k} {i}" for k, i in failed)}); '
                f'{len(dropped)} step(s) needing them did not run; {len(done)} finished. '
                f'First failure: {first}') from first

    def sources(self, units: Sequence[DetUnit]) -> List[Source]:
        """The synthetic sources of ``units`` whose insertions get a quality score."""
        if not self.s.quality_images:
            return []
        return list(dict.fromkeys(u.source for u in units if u.source is not None))

    def finished(self, plan: Sequence[DetUnit]) -> Tuple[List[dict], List[DetUnit]]:
        """The unit files of ``plan`` present, and the units of ``plan`` still to run."""
        loaded = {d: self.load_unit(d) for d in plan}
        return ([u for u in loaded.values() if u is not None],
                [d for d, u in loaded.items() if u is None])

    def report(self, command: str) -> dict:
        """Rebuild the report from the unit files present."""
        plan = self.plan()
        units, todo = self.finished(plan)
        scores = [q for q in (self.load_quality(s) for s in self.sources(plan)) if q is not None]
        settings = self.settings_summary(plan)
        progress = self.progress(plan, todo, settings['plan']['core_hours'], [*units, *scores])
        return write_cv_report(units, settings, self.results_dir, command, quality=scores,
                               progress=progress)

    def progress(self, plan: Sequence[DetUnit], todo: Sequence[DetUnit], planned_hours: float,
                 finished: Sequence[dict]) -> Dict[str, float]:
        """Core-hours the finished units took against what the plan prices them at.

        ``finished``: the detector units and quality scores done; the GAN units are
        loaded here. Each unit file records its own wall seconds (one process, one
        thread); a detector unit's include the synthetic set it made. A unit resumed
        after an interruption records its last run only, so the spent figure is a
        lower bound.
        """
        sources = {d.source for d in plan if d.source is not None and d.source.is_gan}
        gans = [g for g in (self.load_gan(s) for s in sources) if g is not None]
        left = self.cost(todo, skip_done=True, scored_units=plan)['core_hours']
        return dict(spent_core_hours=math.fsum(u.get('seconds', 0.0)
                                               for u in (*finished, *gans)) / 3600,
                    planned_core_hours_done=planned_hours - left, left_core_hours=left)

    def settings_summary(self, plan: Sequence[DetUnit]) -> dict:
        """The settings, folds and priced ``plan`` the report records beside its table."""
        out = asdict(self.s)
        out.update(batch_size=self.batch_size, gan_iters=self.gan_iters,
                   folds_record={k: v for k, v in self.record.items() if k != 'films'},
                   plan=self.cost(plan), units_total=len(plan))
        return out

    def run(self, command: str = '', dry_run: bool = False) -> dict:
        """Print the plan and its cost; unless ``dry_run``, run what is missing and report."""
        self.prepare_folds()
        units = self.plan()
        todo = self.finished(units)[1]
        self.log(self.describe_plan(units, todo))
        if dry_run:
            return dict(plan=self.cost(units),
                        todo=self.cost(todo, skip_done=True, scored_units=units),
                        units=[u.name(self.s.syn_per_real) for u in units])
        unscored = [s for s in self.sources(units) if self.load_quality(s) is None]
        self.report(command)

        def work(task: Tuple[str, Hashable]) -> None:
            kind, item = task
            if kind == 'warm':
                self.warm_checkpoint(*item, [])
            elif kind == 'gan':
                self.train_gan(item)
            elif kind == 'synth':
                self.synthesize(*item, [])
            else:
                (self.measure_quality if kind == 'quality' else self.run_unit)(item)
                with self._lock:
                    self.report(command)

        self.run_graph(self.task_graph(todo, unscored), work)
        return self.report(command)


def run_cv(settings: CVSettings, command: str = '', dry_run: bool = False,
           log: Callable[[str], None] = print) -> dict:
    """Run (or with ``dry_run`` only plan) the comparison of ``settings``."""
    return CVExperiment(settings, log).run(command, dry_run)
