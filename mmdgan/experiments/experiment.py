"""The cross-validated small-data comparison (issue 12): what each step of a unit runs.

Patient-level stratified k-fold (:mod:`mmdgan.datasets.folds`): every film is held
out once and each detector is scored on its held-out fold, lesion and normal films
together (:mod:`mmdgan.evaluation.operating_point`). The arms (:mod:`.arms`) train
the same detector on the fold's real films plus their synthetic set, with equal
real exposure (:mod:`.exposure`); one GAN per arm and fold, its in-loop detector
warm-started from the fold's real-only detector, serves every detector seed. The
units are the :class:`.Plan`'s, finished ones live in the :class:`.UnitStore`,
steps run on Dask (:mod:`.execution`); results/README.md has the numbers.
"""
import json
import math
import time
from dataclasses import asdict
from pathlib import Path
from typing import Dict, List, Optional, Sequence

from mmengine.logging import MMLogger

from mmdgan.utils.tool_runner import ToolRunner, cfg_options, load_cfg, resolve, schedule_options

from .arms import ARMS
from .execution import fraction_first, run_graph, task_graph
from .exposure import real_passes
from .plan import DetUnit, Fold, Plan, Source
from .report import write_cv_report
from .settings import CVSettings
from .store import QUALITY_EMBEDDER, UnitStore

#: Reported metric -> key in the scoring tool's metrics.
CV_METRICS = {'AP50': 'coco/bbox_mAP_50', 'mAP': 'coco/bbox_mAP',
              'loc_top1': 'loc/acc_top1_iou50', 'loc_top2': 'loc/acc_top2_iou50',
              'det_per_normal': 'det_per_normal', 'sens_at_op': 'sens_at_op',
              'op_threshold': 'op_threshold', 'op_reached': 'op_reached'}

#: DetectorGAN config keys that warm-start its in-loop detector, and its generators and
#: discriminators (two-stage training), from a checkpoint.
DETECTOR_INIT_KEY = 'model.detector_checkpoint'
GAN_INIT_KEY = 'model.init_from'


class CVExperiment(ToolRunner):
    """Runs the steps of a :class:`CVSettings` comparison, ``threads`` OpenMP threads
    each, and reports it; ``logger``: default the current ``MMLogger``; ``in_process``:
    run the tools inside this process (tests; one worker)."""

    def __init__(self, settings: CVSettings, threads: int = 1,
                 logger: Optional[MMLogger] = None, in_process: bool = False) -> None:
        super().__init__(threads, log=logger.info if logger else None, in_process=in_process)
        self.s = settings
        self.plan = Plan(settings)
        self.store = UnitStore(self.plan)

    # --- options ----------------------------------------------------------------
    def _data_options(self, fold: Fold, fraction: float) -> Dict[str, object]:
        root = f'{self.plan.root}/'
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
        opts = {**self._data_options(self.plan.fold(source), source.fraction),
                'randomness.seed': source.gan_seed, 'train_cfg.val_begin': 10**9,
                'train_cfg.max_iters': self.plan.gan_iters[source.arm], **self.s.gan_options}
        if load_cfg(self.s.gan_configs[source.arm]).get('val_dataloader') is None:
            # A stage-1 config has no val loop (val_dataloader None); mmengine refuses
            # keys under a None.
            opts = {k: v for k, v in opts.items() if not k.startswith('val_')}
        return opts

    def det_options(self, unit: DetUnit, synthetic: Optional[Path]) -> Dict[str, object]:
        fold, root = self.plan.fold(unit), f'{self.plan.root}/'
        real = 'train_dataloader.dataset.' + ('datasets.0.' if synthetic else '')
        opts: Dict[str, object] = {'randomness.seed': unit.seed, f'{real}data_root': root,
                                   f'{real}ann_file': str(fold.train_file(unit.fraction))}
        if synthetic is not None:
            opts['train_dataloader.dataset.datasets.1.data_root'] = f'{synthetic}/'
        opts.update({'val_dataloader.dataset.data_root': root,
                     'val_dataloader.dataset.ann_file': str(fold.eval_file),
                     'val_evaluator.0.ann_file': str(fold.eval_file),
                     **schedule_options(self.plan.det_config(unit), self.plan.iters(unit)),
                     # No validation during training: the last checkpoint is scored.
                     'train_cfg.val_begin': 10**9, **self.s.det_options})
        return opts

    def test_options(self) -> Dict[str, object]:
        return {'test_dataloader.dataset.data_root': f'{self.plan.root}/',
                **{k: v for k, v in self.s.det_options.items()
                   if k.startswith(('test_dataloader', 'test_evaluator'))}}

    # --- steps ------------------------------------------------------------------
    def _record(self, path: Path, start: float, **fields) -> dict:
        """Write a finished step's unit file, with its threads and wall seconds since
        ``start`` (one process; a step resumed after an interruption: its last run)."""
        record = dict(fields, threads=self.threads, seconds=round(time.time() - start, 1))
        self.store.write(record, path)
        return record

    def train_detector(self, unit: DetUnit, synthetic: Optional[Path],
                       commands: List[str]) -> Path:
        return self._train(self.plan.det_config(unit), self.store.det_dir(unit) / 'detector',
                           self.plan.iters(unit), self.det_options(unit, synthetic), commands)

    def warm_checkpoint(self, real: DetUnit, commands: List[str]) -> Path:
        """The real-only seed-0 detector ``real`` that a GAN of its fold and fraction
        starts from: the checkpoint its finished unit recorded; else the run is resumed
        (or, if its work dir is gone, deterministically redone)."""
        done = self.store.load_unit(real)
        if done is not None and resolve(done['checkpoint']).is_file():
            return resolve(done['checkpoint'])
        return self.train_detector(real, None, commands)

    def train_gan(self, source: Source) -> Path:
        """Train (or load) the GAN of ``source``; its unit file records the run."""
        done = self.store.gan_checkpoint(source)
        if done is not None:
            return done
        commands: List[str] = []
        start = time.time()
        opts = self.gan_options(source)
        if self.s.warm_start and source.warm is not None:
            opts[DETECTOR_INIT_KEY] = str(self.warm_checkpoint(source.warm, commands))
        init = self.plan.init_source(source)
        if init is not None:
            opts[GAN_INIT_KEY] = str(self.train_gan(init))
        self.log(f'[GAN {source.name()}] start')
        ckpt = self._train(self.s.gan_configs[source.arm], self.store.source_dir(source) / 'gan',
                           self.plan.gan_iters[source.arm], opts, commands)
        self._record(self.store.gan_file(source), start, source=asdict(source),
                     checkpoint=str(ckpt), commands=commands,
                     fingerprint=self.store.source_fingerprint(source))
        self.log(f'[GAN {source.name()}] done ({time.time() - start:.0f} s)')
        return ckpt

    def synthesize(self, source: Source, num: int, commands: List[str]) -> Path:
        """Make (or reuse) ``num`` synthetic images of ``source``."""
        fold = self.plan.fold(source)
        out = self.store.synthetic_dir(source, num)
        if self.store.synthetic_done(source, num):
            return out
        common = ['--clean', str(fold.clean_file), '--num', str(num), '--out', str(out),
                  '--seed', str(source.gan_seed), '--no-progress', '--overwrite']
        if source.is_gan:
            cmd = [*self._tool('synthesize.py'), self.s.gan_configs[source.arm],
                   str(self.train_gan(source)), *common, *cfg_options(self.gan_options(source))]
        else:
            # The full DetectorGAN config gives the box sampler (prior from the
            # fold's training boxes), target class and resolution of the GAN arms.
            cmd = [*self._tool('synthesize.py'), self.s.gan_configs['dgan'],
                   '--method', 'copy-paste', '--blend', self.plan.copy_paste_blend, '--labelled',
                   str(fold.train_file(source.fraction)), *common,
                   *cfg_options(self._data_options(fold, source.fraction))]
        self._run(cmd, out.parent / f'synthesize_n{num}.log', commands)
        return out

    def measure_quality(self, source: Source) -> dict:
        """Score ``quality_images`` insertions of ``source`` (or load the score) against
        the fold's training lesions of its fraction, the only ones it may have seen."""
        done = self.store.load_quality(source)
        if done is not None:
            return done
        commands: List[str] = []
        start = time.time()
        num = self.s.quality_images
        synthetic = self.synthesize(source, num, commands) / 'train.json'
        out = synthetic.parent.with_name(f'quality_n{num}.json')
        cmd = [*self._tool('analysis_tools/insertion_quality.py'),
               str(self.plan.fold(source).train_file(source.fraction)),
               f'{source.arm}={synthetic}', '--clean-reference', str(synthetic),
               *(f'--{k.replace("_", "-")}={v}' for k, v in QUALITY_EMBEDDER.items()),
               '--out', str(out)]
        self._run(cmd, out.with_suffix('.log'), commands)
        report = json.loads(out.read_text())['report']
        result = self._record(
            self.store.quality_file(source), start, source=asdict(source), name=source.name(),
            images=num, real_crops=report['real']['num_crops'], inserted=report[source.arm],
            clean=report['clean'], commands=commands,
            fingerprint=self.store.quality_fingerprint(source))
        self.log(f'[quality {source.name()}] kernel distance '
                 f'{1e3 * result["inserted"]["kernel"]:.1f}e-3 '
                 f'(clean {1e3 * result["clean"]["kernel"]:.1f}e-3)')
        return result

    def run_unit(self, unit: DetUnit) -> dict:
        """Run one detector unit, or load it if it finished before."""
        done = self.store.load_unit(unit)
        if done is not None:
            return done
        plan, name = self.plan, unit.name(self.s.syn_per_real)
        commands: List[str] = []
        start = time.time()
        self.log(f'[{name}] start')
        num_syn = plan.num_syn(unit)
        synthetic = self.synthesize(unit.source, num_syn, commands) if unit.source else None
        ckpt = self.train_detector(unit, synthetic, commands)
        fold = plan.fold(unit)
        score_dir = self.store.det_dir(unit) / 'score'
        metrics_file = score_dir / 'metrics.json'
        cmd = [*self._tool('experiments/score_detector.py'), plan.det_config(unit), str(ckpt),
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
        iters, num_real = plan.iters(unit), fold.num_real[unit.fraction]
        result = self._record(
            self.store.det_file(unit), start, unit=asdict(unit), name=name,
            metrics={m: raw[k] for m, k in CV_METRICS.items()}, raw_metrics=raw, iters=iters,
            num_real=num_real, num_syn=num_syn, num_eval=fold.num_eval,
            real_passes=real_passes(num_real, num_syn, iters, plan.batch_size),
            checkpoint=str(ckpt), synthetic=str(synthetic) if synthetic else None,
            commands=commands, fingerprint=self.store.unit_fingerprint(unit))
        self.log(f'[{name}] AP50 {result["metrics"]["AP50"]:.4f} ({result["seconds"]} s)')
        return result

    def step(self, task: tuple) -> None:
        """Run one step of the task graph (:func:`.execution.task_graph`)."""
        kind, item = task
        if kind == 'warm':
            self.warm_checkpoint(item, [])
        elif kind == 'gan':
            self.train_gan(item)
        elif kind == 'synth':
            self.synthesize(*item, [])
        else:
            (self.measure_quality if kind == 'quality' else self.run_unit)(item)

    # --- report -----------------------------------------------------------------
    def report(self, command: str, workers: int = 2) -> dict:
        """Rebuild the report from the unit files present."""
        plan, store = self.plan, self.store
        units = plan.units()
        done, todo = store.finished(units)
        scores = [q for q in map(store.load_quality, plan.scored_sources(units)) if q is not None]
        summary = asdict(self.s)
        # The blend the copy-paste arm ran with, where it is not the Poisson of every
        # earlier report (Plan.copy_paste_record).
        del summary['copy_paste_blend']
        if any(ARMS[u.arm].synthetic == 'copy-paste' for u in units):
            summary.update(plan.copy_paste_record())
        summary.update(batch_size=plan.batch_size, gan_iters=plan.gan_iters,
                       folds_record={k: v for k, v in plan.record.items() if k != 'films'},
                       plan=plan.cost(units, workers=workers), units_total=len(units))
        # Each unit file records its own wall seconds (one process, one thread); a unit
        # resumed after an interruption records its last run only: a lower bound.
        gans = [g for g in map(store.load_gan, {d.source for d in units if d.source is not None
                                                and d.source.is_gan}) if g is not None]
        left = plan.cost(todo, store, scored_units=units, workers=workers)['core_hours']
        progress = dict(spent_core_hours=math.fsum(u.get('seconds', 0.0)
                                                   for u in (*done, *scores, *gans)) / 3600,
                        planned_core_hours_done=summary['plan']['core_hours'] - left,
                        left_core_hours=left)
        return write_cv_report(done, summary, plan.results_dir, command, quality=scores,
                               progress=progress)

    def run(self, command: str = '', dry_run: bool = False, workers: int = 2,
            scheduler: Optional[str] = None, first_fraction: Optional[float] = None,
            last_arms: Sequence[str] = ()) -> dict:
        """Log the plan and its cost; unless ``dry_run`` (folds only), run what is missing
        on ``workers`` local threads or the Dask ``scheduler``; the report names ``command``.
        The units of ``first_fraction`` (every fold seed) run first, and within that group
        and the rest those of ``last_arms`` last: where a session cannot finish the plan,
        the comparison a goal is decided by completes soonest."""
        plan, store = self.plan, self.store
        plan.prepare_folds()
        units = plan.units()
        todo = fraction_first(store.finished(units)[1], first_fraction, last_arms)
        if first_fraction is not None:
            self.log(f'first: the {sum(u.fraction == first_fraction for u in todo)} units '
                     f'left at fraction {first_fraction:g}')
        if last_arms:
            self.log(f'last in their group: the {sum(u.arm in last_arms for u in todo)} units '
                     f'left of {list(last_arms)}')
        costs = dict(plan=plan.cost(units, workers=workers),
                     todo=plan.cost(todo, store, scored_units=units, workers=workers))
        for line in plan.describe(units):
            self.log(line)
        if any(u.arm == 'copy-paste' for u in units):
            self.log(f'copy-paste blend: {plan.copy_paste_blend}')
        for label, c in costs.items():
            self.log(f'{label}: {c["detector_units"]} detector units, {c["gan_units"]} GAN '
                     f'units, {c["synthetic_sets"]} synthetic sets, {c["quality_sets"]} quality '
                     f'scores: {c["core_hours"]:.2f} CPU core-hours, ~{c["wall_hours_2_cores"]:.2f}'
                     f' h on 2 cores with {min(2, workers)} worker(s) (costs: {self.s.costs})')
        if dry_run:
            return dict(costs, units=[u.name(self.s.syn_per_real) for u in units])
        unscored = [s for s in plan.scored_sources(units) if store.load_quality(s) is None]
        self.report(command, workers)
        graph = task_graph(store, todo, unscored)
        # The report is rebuilt here, on the client, as each unit or score lands.
        run_graph(graph, self.step, workers, scheduler, self.log,
                  on_done=lambda task: task[0] in ('det', 'quality') and self.report(command,
                                                                                    workers))
        return self.report(command, workers)
