"""Tuning the real-only detector's recipe on an inner validation split (issue 32, part 1).

Each *candidate* is a detector config (its pipeline, optimiser and warm-up)
and a schedule length in passes over the real training films (the
comparison's ``real_epochs``: the cross-validation runner stretches every
config's schedule to that many passes). Every candidate trains on the inner
training films of one outer fold (:mod:`.inner_split`) with a few detector
seeds and is scored on the inner validation films with the comparison's
scorer (AP50, mAP, top-1/2 localisation, operating point on the inner
training lesions). The outer fold's held-out films are never read.

One json *unit* per (candidate, seed) under ``<results_dir>/units/``, with
repository-relative paths and a fingerprint of its settings: a finished unit
is never rerun, a unit of other settings is refused. Units run seed-major
(seed 0 of every candidate first), so that a sweep cut short still has every
candidate once. ``table.md`` is rebuilt from the units after each one.
"""
import hashlib
import json
import math
import statistics
import sys
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Callable, Dict, List, Optional, Sequence

from mmdgan.experiments.exposure import detector_iters
from mmdgan.fileio import write_json_atomic, write_text_atomic
from mmdgan.utils.tool_runner import REPO_ROOT, ToolRunner, load_cfg, schedule_options

from .inner_split import write_inner_split

#: Reported metric -> key in the scoring tool's metrics (the comparison's names).
METRICS = {'AP50': 'coco/bbox_mAP_50', 'mAP': 'coco/bbox_mAP',
           'loc_top1': 'loc/acc_top1_iou50', 'loc_top2': 'loc/acc_top2_iou50',
           'det_per_normal': 'det_per_normal', 'sens_at_op': 'sens_at_op',
           'op_threshold': 'op_threshold'}

_DET = 'configs/detector/retinanet_effnet-lite0_1xb4-1000it_mini-mias'


@dataclass(frozen=True)
class Candidate:
    """One recipe: a detector config and its schedule length.

    Attributes:
        name: Short name (unit files and the table).
        config: Detector config, relative to the repository.
        passes: Passes over the real training films (iterations follow from
            the film count and the batch size, as in the comparison).
        note: What differs from the reference, for the table.
    """

    name: str
    config: str
    passes: float
    note: str = ''


#: The candidates, in priority order (the reference first: today's recipe).
DEFAULT_CANDIDATES = (
    Candidate('reference', f'{_DET}.py', 30, "today's recipe: flip, SGD 0.0025, 5 % warm-up"),
    Candidate('aug', f'{_DET}_aug.py', 30,
              '+ RandomAffine scale/translate + PhotoMetricDistortion (grey)'),
    Candidate('aug-long', f'{_DET}_aug.py', 60, 'aug, 60 passes (2x the steps)'),
    Candidate('geo', f'{_DET}_geo.py', 30, '+ RandomAffine scale/translate only'),
    Candidate('aug-lr2x', f'{_DET}_aug-lr2x.py', 30, 'aug, SGD 0.005, 10 % warm-up'),
    # aug-long doubles the steps as well as adding augmentation: this is its
    # control, telling which of the two a gain comes from.
    Candidate('reference-long', f'{_DET}.py', 60, 'reference, 60 passes (2x the steps)'),
)

#: Seconds a unit costs beyond its steps (two process starts) and per scored film.
UNIT_OVERHEAD_S = 40.0
SCORE_IMAGE_S = 0.05


@dataclass
class SweepSettings:
    """Everything that defines one sweep.

    Attributes:
        data_root: Converted dataset folder.
        results_dir: ``split.json``, ``units/`` and ``table.md`` (committed).
        work_dir: Split files, training runs and detections (not committed).
        candidates: The recipes, in priority order.
        seeds: Detector seeds per candidate.
        info_file: mini-MIAS ``Info.txt`` (patients and strata), or ``None``.
        folds: Outer k of the comparison.
        fold_seed: Seed of the outer folds.
        outer_fold: Outer fold whose training patients are split.
        inner_k: ``1 / inner_k`` of those patients validate.
        inner_seed: Seed of the inner split.
        check_folds: The comparison's ``folds.json`` the outer folds must equal.
        step_seconds: Seconds per detector step, for the printed plan.
        threads: OpenMP threads of each tool process.
        python: Interpreter running the tools.
        in_process: Run the tools in this process (tests).
    """

    data_root: str
    results_dir: str
    work_dir: str
    candidates: Sequence[Candidate] = DEFAULT_CANDIDATES
    seeds: Sequence[int] = (0, 1)
    info_file: Optional[str] = None
    folds: int = 5
    fold_seed: int = 0
    outer_fold: int = 0
    inner_k: int = 4
    inner_seed: int = 0
    check_folds: Optional[str] = None
    step_seconds: float = 0.8
    threads: int = 1
    python: str = sys.executable
    in_process: bool = False
    extra_options: Dict[str, object] = field(default_factory=dict)

    def __post_init__(self) -> None:
        names = [c.name for c in self.candidates]
        if not names or len(set(names)) != len(names):
            raise ValueError(f'candidate names must be given and unique, got {names}')
        for cand in self.candidates:
            if not (REPO_ROOT / cand.config).is_file():
                raise FileNotFoundError(f'candidate {cand.name}: config not found: {cand.config}')
            if cand.passes <= 0:
                raise ValueError(f'candidate {cand.name}: passes must be > 0, got {cand.passes}')
        if not self.seeds:
            raise ValueError('at least one detector seed is needed')


def _digest(obj) -> str:
    return hashlib.sha1(json.dumps(obj, sort_keys=True, default=str).encode()).hexdigest()[:16]


def _relative(text: str) -> str:
    """A command with the repository's absolute path and the interpreter made relative."""
    return text.replace(sys.executable, 'python').replace(f'{REPO_ROOT}/', '')


class BaselineSweep(ToolRunner):
    """Plans, runs and reports a :class:`SweepSettings` sweep."""

    def __init__(self, settings: SweepSettings, log: Callable[[str], None] = print) -> None:
        super().__init__(settings.threads, settings.python, log, settings.in_process)
        self.s = settings
        self.root = Path(settings.data_root).resolve()
        self.results_dir = Path(settings.results_dir)
        self.work_dir = Path(settings.work_dir).resolve()
        self.split: dict = {}
        self._cfg_digest: Dict[str, str] = {}

    # --- data ---------------------------------------------------------------
    def prepare(self) -> dict:
        """Write the inner split (its record goes to ``split.json``)."""
        self.split = write_inner_split(
            self.root, self.work_dir / 'split', self.s.info_file, self.s.folds,
            self.s.fold_seed, self.s.outer_fold, self.s.inner_k, self.s.inner_seed,
            self.s.check_folds)
        write_json_atomic(self.split['record'], self.results_dir / 'split.json')
        return self.split

    @property
    def num_train(self) -> int:
        return self.split['record']['counts']['train_labelled']

    @property
    def num_val(self) -> int:
        counts = self.split['record']['counts']
        return counts['val_labelled'] + counts['val_normal']

    # --- plan ---------------------------------------------------------------
    def units(self) -> List[tuple]:
        """(candidate, seed) pairs, seed-major."""
        return [(c, seed) for seed in self.s.seeds for c in self.s.candidates]

    def iters(self, cand: Candidate) -> int:
        batch = int(load_cfg(cand.config).train_dataloader.batch_size)
        return detector_iters(self.num_train, 0, cand.passes, batch)

    def cost_s(self, cand: Candidate) -> float:
        """Planned core-seconds of one unit of ``cand``."""
        return (self.iters(cand) * self.s.step_seconds + UNIT_OVERHEAD_S
                + (self.num_train + self.num_val) * SCORE_IMAGE_S)

    def describe_plan(self) -> str:
        counts = self.split['record']['counts']
        lines = [f'inner split of outer fold {self.s.outer_fold} ({self.s.folds} folds, seed '
                 f'{self.s.fold_seed}; inner k {self.s.inner_k}, seed {self.s.inner_seed}): '
                 f'{counts}']
        todo = 0.0
        for cand in self.s.candidates:
            lines.append(f'  {cand.name:10s} {cand.passes:g} passes = {self.iters(cand)} '
                         f'iterations, ~{self.cost_s(cand) / 60:.1f} min per seed  ({cand.config})')
        for cand, seed in self.units():
            if self.load_unit(cand, seed) is None:
                todo += self.cost_s(cand)
        total = math.fsum(self.cost_s(c) for c, _ in self.units())
        lines.append(f'planned: {len(self.units())} units, {total / 3600:.2f} CPU core-hours; '
                     f'left to run: {todo / 3600:.2f} core-hours, one process at a time '
                     f'({self.s.step_seconds} s per step assumed)')
        return '\n'.join(lines)

    # --- units --------------------------------------------------------------
    def config_digest(self, config: str) -> str:
        if config not in self._cfg_digest:
            self._cfg_digest[config] = _digest(load_cfg(config).to_dict())
        return self._cfg_digest[config]

    def fingerprint(self, cand: Candidate, seed: int) -> dict:
        return json.loads(json.dumps(dict(
            split=_digest(self.split['record']), candidate=cand.name, config=cand.config,
            config_digest=self.config_digest(cand.config), passes=cand.passes,
            iters=self.iters(cand), seed=seed, options=dict(self.s.extra_options))))

    def unit_file(self, cand: Candidate, seed: int) -> Path:
        return self.results_dir / 'units' / f'{cand.name}_seed{seed}.json'

    def load_unit(self, cand: Candidate, seed: int) -> Optional[dict]:
        path = self.unit_file(cand, seed)
        if not path.is_file():
            return None
        unit = json.loads(path.read_text())
        expected = self.fingerprint(cand, seed)
        if unit.get('fingerprint') != expected:
            raise ValueError(f'{path} was made with other settings ({unit.get("fingerprint")} vs '
                             f'{expected}); use another --results-dir or delete it')
        return unit

    def run_unit(self, cand: Candidate, seed: int) -> dict:
        """Train and score one (candidate, seed), or load it if it finished before."""
        done = self.load_unit(cand, seed)
        if done is not None:
            return done
        name = f'{cand.name}_seed{seed}'
        run_dir = self.work_dir / f'{name}-{_digest(self.fingerprint(cand, seed))[:8]}'
        files = self.split['files']
        root = f'{self.root}/'
        iters = self.iters(cand)
        options = {'randomness.seed': seed,
                   'train_dataloader.dataset.data_root': root,
                   'train_dataloader.dataset.ann_file': str(files['train']),
                   'val_dataloader.dataset.data_root': root,
                   'val_dataloader.dataset.ann_file': str(files['val']),
                   'val_evaluator.0.ann_file': str(files['val']),
                   **schedule_options(cand.config, iters),
                   # No validation while training; a checkpoint every 100 steps to resume.
                   'train_cfg.val_begin': 10**9, 'default_hooks.checkpoint.interval': 100,
                   **self.s.extra_options}
        commands: List[str] = []
        start = time.time()
        self.log(f'[{name}] start: {iters} iterations')
        ckpt = self._train(cand.config, run_dir / 'detector', iters, options, commands)
        trained = time.time() - start
        score_dir = run_dir / 'score'
        metrics_file = score_dir / 'metrics.json'
        cmd = [*self._tool('experiments/score_detector.py'), cand.config, str(ckpt),
               '--eval-ann', str(files['val']), '--op-ann', str(files['train']),
               '--out-dir', str(score_dir), '--metrics-out', str(metrics_file),
               '--cfg-options', f'test_dataloader.dataset.data_root={root}']
        self._run(cmd, score_dir / 'score.log', commands)
        raw = json.loads(metrics_file.read_text())
        missing = [k for k in METRICS.values() if k not in raw]
        if missing:
            raise KeyError(f'{metrics_file} lacks {missing}: check the test evaluators')
        result = dict(candidate=asdict(cand), seed=seed, iters=iters, num_train=self.num_train,
                      num_val=self.num_val,
                      metrics={m: raw[k] for m, k in METRICS.items()}, raw_metrics=raw,
                      commands=[_relative(c) for c in commands],
                      fingerprint=self.fingerprint(cand, seed), threads=self.s.threads,
                      train_seconds=round(trained, 1),
                      seconds=round(time.time() - start, 1))
        write_json_atomic(result, self.unit_file(cand, seed))
        self.log(f'[{name}] inner-val AP50 {result["metrics"]["AP50"]:.4f} '
                 f'({result["seconds"]:.0f} s, {trained / iters:.2f} s per step)')
        return result

    def run(self, dry_run: bool = False, command: str = '') -> dict:
        """Split and print the plan; unless ``dry_run``, run what is missing and report.

        A dry run leaves the report alone (it would name the dry run's command) and
        returns the plan: unit names and their planned core-seconds.
        """
        self.prepare()
        self.log(self.describe_plan())
        if dry_run:
            return dict(plan={f'{c.name}_seed{seed}': self.cost_s(c)
                              for c, seed in self.units()})
        for cand, seed in self.units():
            self.run_unit(cand, seed)
            report_sweep(self.results_dir, command)
        return report_sweep(self.results_dir, command)


def _mean_std(values: Sequence[float]) -> str:
    if not values:
        return '—'
    if len(values) == 1:
        return f'{values[0]:.3f}'
    return f'{statistics.mean(values):.3f} ± {statistics.stdev(values):.3f}'


def report_sweep(results_dir: str, command: str = '') -> dict:
    """Rebuild ``table.md`` and ``summary.json`` from the unit files of ``results_dir``.

    Rows keep the order in which candidates first appear by name in the
    default list, then any others alphabetically. Means ± sample std over seeds.
    """
    results_dir = Path(results_dir)
    units = [json.loads(p.read_text()) for p in sorted((results_dir / 'units').glob('*.json'))]
    order = {c.name: i for i, c in enumerate(DEFAULT_CANDIDATES)}
    by_cand: Dict[str, List[dict]] = {}
    for unit in units:
        by_cand.setdefault(unit['candidate']['name'], []).append(unit)
    names = sorted(by_cand, key=lambda n: (order.get(n, len(order)), n))
    split_file = results_dir / 'split.json'
    split = json.loads(split_file.read_text()) if split_file.is_file() else {}
    lines = ['# Real-only detector recipe, tuned on an inner validation split (issue 32)', '']
    if command:
        lines += [f'Command: `{command}`', '']
    if split:
        lines += [f'Inner split: training patients of outer fold {split["outer_fold"]} '
                  f'({split["folds"]}-fold, seed {split["fold_seed"]}), split once more '
                  f'{split["inner_k"]}-fold (seed {split["inner_seed"]}); '
                  f'counts {split["counts"]}. The outer fold\'s held-out films are never used.',
                  '']
    lines += ['| candidate | config | passes | iterations | AP50 per seed | AP50 | mAP | '
              'top-1 loc. | det. / normal film @op | sensitivity @op | wall min / unit |',
              '| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |']
    summary = {}
    for name in names:
        rows = sorted(by_cand[name], key=lambda u: u['seed'])
        cand = rows[0]['candidate']

        def col(metric: str, rows: List[dict] = rows) -> List[float]:
            return [u['metrics'][metric] for u in rows]
        per_seed = ', '.join(f'{u["metrics"]["AP50"]:.3f} (s{u["seed"]})' for u in rows)
        minutes = statistics.mean(u['seconds'] for u in rows) / 60
        lines.append(f'| {name} | `{Path(cand["config"]).name}` | {cand["passes"]:g} | '
                     f'{rows[0]["iters"]} | {per_seed} | {_mean_std(col("AP50"))} | '
                     f'{_mean_std(col("mAP"))} | {_mean_std(col("loc_top1"))} | '
                     f'{_mean_std(col("det_per_normal"))} | {_mean_std(col("sens_at_op"))} | '
                     f'{minutes:.1f} |')
        summary[name] = dict(candidate=cand, iters=rows[0]['iters'],
                             seeds=[u['seed'] for u in rows],
                             AP50=col('AP50'), mAP=col('mAP'), loc_top1=col('loc_top1'),
                             det_per_normal=col('det_per_normal'),
                             sens_at_op=col('sens_at_op'),
                             seconds=[u['seconds'] for u in rows])
    spent = math.fsum(u['seconds'] for u in units) / 3600
    lines += ['', f'{len(units)} units, {spent:.2f} hours of one-thread processes (wall '
              'clock, training and scoring; on a shared machine an upper bound on their '
              'CPU time). Means ± sample std over detector seeds.', '']
    write_text_atomic('\n'.join(lines), results_dir / 'table.md')
    out = dict(command=command, split=split, candidates=summary, process_hours=spent)
    write_json_atomic(out, results_dir / 'summary.json')
    return out


def run_sweep(settings: SweepSettings, dry_run: bool = False, command: str = '',
              log: Callable[[str], None] = print) -> dict:
    """Run (or with ``dry_run`` only split and plan) the sweep of ``settings``."""
    return BaselineSweep(settings, log).run(dry_run=dry_run, command=command)
