"""The small-data comparison: does synthetic data make the real-data detector better?

The first protocol (one split, a GAN per seed, a fixed iteration count); the
cross-validated protocol of issue 12 is :mod:`.cv`, which reuses the arms.

On one split and one detector schedule, every arm trains the same downstream
detector (same config, schedule, image size, augmentations and real images)
and differs only in the synthetic set concatenated to the real one:

1. ``real``: real labelled images (Y train) only;
2. ``copy-paste``: + real object crops pasted into clean training films;
3. ``gan-nodet``: + a GAN trained without the detector terms;
4. ``dgan-nounroll``: + DetectorGAN without the unrolled real-data term;
5. ``dgan``: + DetectorGAN with unrolling.

Each GAN arm trains its own GAN per seed (nothing is shared between seeds),
synthesizes from the clean *training* films only, and every detector is
evaluated on the pooled held-out splits (val + test by default: no model
selection happens on val, the last checkpoint is scored, so pooling is
honest and doubles the boxes behind each number).

Every step runs ``tools/train.py``, ``tools/synthesize.py`` or
``tools/test.py`` in a subprocess and its exact command is recorded. A
finished ``(arm, seed)`` unit is saved to its own json under
``<results_dir>/units/`` (meant to be committed) and never rerun; an
interrupted unit resumes from its finished steps in the work dir. The report
is rewritten after every finished unit.

Speed on a small shared CPU: each tool runs with ``threads`` OpenMP threads
(default 1) and ``jobs`` units run side by side. Two OpenMP threads per
process on two busy cores spin at barriers whenever one of them is
descheduled: a RetinaNet-R18 step measured 9 s with 2 threads against 0.77 s
with 1 thread on the same loaded machine (see results/README.md).
"""
import json
import os
import sys
import time
import warnings
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from glob import glob
from pathlib import Path
from typing import Dict, Iterable, List, Optional, Sequence

from mmdgan.fileio import write_json_atomic

from .coco_merge import merge_coco
from .report import write_report
from .steps import REPO_ROOT, ToolRunner, cfg_options, config_iters, schedule_options


@dataclass(frozen=True)
class Arm:
    """One arm of the comparison.

    Attributes:
        name: Key used in file names and results.
        label: Human-readable name.
        synthetic: ``None`` (real only), ``'copy-paste'`` or ``'gan'``.
        variant: GAN config variant token (``''`` for the full DetectorGAN).
        matched_steps: Real only, but trained for as many iterations as an
            augmented arm of the cross-validated comparison (equal real exposure
            gives those one epoch per real *and* synthetic image: twice the steps
            at one synthetic image per real one). Tells a gain of the synthetic
            images from a gain of the extra optimiser steps.
    """

    name: str
    label: str
    synthetic: Optional[str] = None
    variant: str = ''
    matched_steps: bool = False


ARMS: Dict[str, Arm] = {a.name: a for a in (
    Arm('real', 'real only'),
    Arm('copy-paste', 'real + copy-paste', 'copy-paste'),
    Arm('gan-nodet', 'real + GAN w/o detector', 'gan', 'nodet'),
    Arm('dgan-nounroll', 'real + DetectorGAN w/o unroll', 'gan', 'nounroll'),
    Arm('dgan', 'real + DetectorGAN', 'gan', ''),
    # Not one of the five: DetectorGAN without L_det^syn and with a smaller
    # virtual step (results/mini-mias/gan_diag/README.md, fifth and sixth rounds).
    Arm('dgan-unroll', 'real + DetectorGAN, unroll only', 'gan', 'unroll-only'),
    # Not one of the five either: the steps the augmented arms get, without their images.
    Arm('real-steps', 'real only, augmented steps', matched_steps=True),
)}


def steps_controls(arms: Iterable[str]) -> List[str]:
    """The arms that train real-only for an augmented arm's iterations."""
    return [arm for arm in arms if ARMS[arm].matched_steps]


#: The comparison's five arms: the default of both runners.
DEFAULT_ARMS = ('real', 'copy-paste', 'gan-nodet', 'dgan-nounroll', 'dgan')

#: Reported metric -> key in the metrics of tools/test.py.
METRIC_KEYS = {'mAP': 'coco/bbox_mAP', 'AP50': 'coco/bbox_mAP_50',
               'loc_acc': 'loc/acc_top1_iou50'}

#: GAN variant tokens that mark an ablation config (``dgan_..._nodet_...``), or
#: another generator setting the arms do not pick by default (``_local-crop_``).
VARIANTS = ('nodet', 'nounroll', 'unroll-only', 'local-crop')


def find_gan_config(tag: str, variant: str, config_dir: Path = REPO_ROOT / 'configs',
                    family: str = '') -> str:
    """The DetectorGAN config ``configs/dgan_*[_variant]*_<tag>.py`` (RetinaNet preferred).

    Every arm has its own config file: the ablations are defined once per
    dataset (and schedule tag, e.g. ``demo-128px``), never derived in code.
    ``family`` (e.g. ``retinanet-effnet-lite0``) picks one detector family
    where a tag has several.
    """
    candidates = sorted(glob(str(config_dir / f'dgan_{family}*_{tag}.py')))
    others = [v for v in VARIANTS if v != variant]
    # An ablation of another generator setting (``_local-crop_nodet_``) is not
    # the default ablation (``_nodet_``): every other token excludes a config.
    candidates = [c for c in candidates
                  if (not variant or f'_{variant}' in Path(c).name)
                  and not any(f'_{v}' in Path(c).name for v in others)]
    retina = [c for c in candidates if 'retinanet' in Path(c).name]
    candidates = retina or candidates
    if len(candidates) != 1:
        raise FileNotFoundError(
            f'expected one DetectorGAN config configs/dgan_{family}*'
            f'{"_" + variant if variant else ""}'
            f'*_{tag}.py, found {[Path(c).name for c in candidates]}; pass it explicitly')
    return os.path.relpath(candidates[0], REPO_ROOT)


def detector_family(det_config: str) -> str:
    """The detector family of a downstream config, as the GAN configs spell it.

    ``retinanet_effnet-lite0_1xb4-1000it_mini-mias.py`` -> ``retinanet-effnet-lite0``:
    the GAN arms then put the downstream detector's architecture in the loop.
    """
    return '-'.join(Path(det_config).stem.split('_')[:2])


@dataclass
class ExperimentSettings:
    """Everything that defines one comparison run.

    Attributes:
        data: ``'demo'`` or ``'mini-mias'``.
        data_root: Dataset folder (``images/`` + the six COCO files).
        seeds: One detector (and one GAN per GAN arm) per seed.
        arms: Arm names, in report order.
        work_dir: Where runs, synthetic sets and unit results go.
        results_dir: Where ``table.md``, ``results.json`` and ``ap50.png`` go.
        det_config: Detector config, real data only.
        det_syn_config: Same detector with ``ConcatDataset(real, synthetic)``.
        gan_configs: Arm name -> DetectorGAN config (GAN arms only); missing
            ones are found by :func:`find_gan_config` from ``config_tag``.
        config_tag: File-name suffix of the GAN configs (default ``data``).
        det_iters: Detector iterations (``None``: the config's).
        gan_iters: GAN iterations (``None``: the config's).
        syn_per_real: Synthetic images per real labelled training image.
        eval_splits: Held-out Y splits pooled for the final numbers.
        det_options: Extra ``--cfg-options`` of every detector run.
        gan_options: Extra ``--cfg-options`` of every GAN run.
        threads: OpenMP / MKL threads of every tool process.
        jobs: Units run side by side.
        python: Interpreter running the tools.
    """

    data: str
    data_root: str
    seeds: Sequence[int]
    arms: Sequence[str]
    work_dir: str
    results_dir: str
    det_config: str
    det_syn_config: str
    gan_configs: Dict[str, str] = field(default_factory=dict)
    config_tag: str = ''
    det_iters: Optional[int] = None
    gan_iters: Optional[int] = None
    syn_per_real: float = 1.0
    eval_splits: Sequence[str] = ('val', 'test')
    det_options: Dict[str, object] = field(default_factory=dict)
    gan_options: Dict[str, object] = field(default_factory=dict)
    threads: int = 1
    jobs: int = 1
    python: str = sys.executable

    def __post_init__(self) -> None:
        unknown = [a for a in self.arms if a not in ARMS]
        if unknown:
            raise ValueError(f'unknown arm(s) {unknown}; choose from {list(ARMS)}')
        matched = steps_controls(self.arms)
        if matched:
            raise ValueError(f'arm(s) {matched}: every arm here trains det_iters iterations, so a '
                             'steps-matched control is the real-only arm itself; it belongs to '
                             'tools/experiments/cross_validation.py')
        if not self.seeds:
            raise ValueError('at least one seed is needed')
        if self.threads < 1 or self.jobs < 1:
            raise ValueError(f'threads ({self.threads}) and jobs ({self.jobs}) must be >= 1')
        self.config_tag = self.config_tag or self.data
        for name in (self.det_config, self.det_syn_config, *self.gan_configs.values()):
            if not (REPO_ROOT / name).is_file() and not Path(name).is_file():
                raise FileNotFoundError(f'config file not found: {name}')
        root = Path(self.data_root)
        for name in ('train.json', 'clean_train.json',
                     *(f'{s}.json' for s in self.eval_splits)):
            if not (root / name).is_file():
                raise FileNotFoundError(f'{root / name} not found (convert the data first)')
        for arm in self.arms:
            if ARMS[arm].synthetic == 'gan' and arm not in self.gan_configs:
                self.gan_configs[arm] = find_gan_config(self.config_tag, ARMS[arm].variant,
                                                        family=detector_family(self.det_config))
        if 'copy-paste' in self.arms and 'dgan' not in self.gan_configs:
            try:
                self.gan_configs['dgan'] = find_gan_config(
                    self.config_tag, '', family=detector_family(self.det_config))
            except FileNotFoundError as e:
                warnings.warn(f'copy-paste arm: {e}. It samples its boxes with the default '
                              'box sampler on Y train, not the GAN arms\' sampler, target '
                              'class and resolution', stacklevel=2)


class Experiment(ToolRunner):
    """Runs the units of an :class:`ExperimentSettings`."""

    def __init__(self, settings: ExperimentSettings, log=print) -> None:
        super().__init__(settings.threads, settings.python, log)
        self.s = settings
        self.work_dir = Path(settings.work_dir).resolve()
        self.results_dir = Path(settings.results_dir).resolve()
        self.root = Path(settings.data_root).resolve()
        self.eval_file = self.work_dir / f'eval_{"+".join(settings.eval_splits)}.json'
        # The iterations actually run, for the checkpoint names and the report.
        self.det_iters = settings.det_iters or config_iters(settings.det_config)
        self.gan_iters = {arm: settings.gan_iters or config_iters(cfg)
                          for arm, cfg in settings.gan_configs.items()
                          if arm in settings.arms}

    def _num_synthetic(self) -> int:
        num_real = len(json.loads((self.root / 'train.json').read_text())['images'])
        return max(1, round(self.s.syn_per_real * num_real))

    def _synthesize(self, arm: Arm, seed: int, unit_dir: Path,
                    commands: List[str]) -> Path:
        """Make (or reuse) the arm's synthetic set for ``seed``."""
        out = unit_dir / 'synthetic'
        if (out / 'train.json').is_file():  # written atomically: present means complete
            return out
        common = ['--clean', str(self.root / 'clean_train.json'),
                  '--num', str(self._num_synthetic()), '--out', str(out),
                  '--seed', str(seed), '--no-progress']
        if arm.synthetic == 'copy-paste':
            # The full DetectorGAN config, if any, gives the same box sampler,
            # target class and resolution as the GAN arms.
            cfg = self.s.gan_configs.get('dgan')
            cmd = [*self._tool('synthesize.py'), *([cfg] if cfg else []),
                   '--method', 'copy-paste', '--labelled', str(self.root / 'train.json'),
                   *common, *(cfg_options(self._gan_data_options()) if cfg else [])]
        else:
            config = self.s.gan_configs[arm.name]
            gan_dir = unit_dir / 'gan'
            # The GAN's own validation is skipped: only the downstream detector is scored.
            opts = {**self._gan_data_options(), 'randomness.seed': seed,
                    'train_cfg.val_begin': 10**9,
                    **({'train_cfg.max_iters': self.s.gan_iters} if self.s.gan_iters else {}),
                    **self.s.gan_options}
            ckpt = self._train(config, gan_dir, self.gan_iters[arm.name], opts, commands)
            # The same overrides as training, so synthesis sees the GAN's resolution.
            cmd = [*self._tool('synthesize.py'), config, str(ckpt), *common,
                   *cfg_options(opts)]
        self._run(cmd, unit_dir / 'synthesize.log', commands)
        return out

    def _gan_data_options(self) -> Dict[str, object]:
        # The Runner builds the val loop (dataset and CocoMetric) even when it
        # never validates, so every path must point at this experiment's data.
        root = f'{self.root}/'
        return {'train_dataloader.dataset.data_root': root,
                'val_dataloader.dataset.data_root': root,
                'val_evaluator.ann_file': f'{root}val.json'}

    def _det_options(self, seed: int, synthetic: Optional[Path]) -> Dict[str, object]:
        root = f'{self.root}/'
        opts: Dict[str, object] = {'randomness.seed': seed}
        if synthetic is None:
            opts['train_dataloader.dataset.data_root'] = root
        else:
            opts['train_dataloader.dataset.datasets.0.data_root'] = root
            opts['train_dataloader.dataset.datasets.1.data_root'] = f'{synthetic}/'
        opts['val_dataloader.dataset.data_root'] = root
        opts['val_evaluator.0.ann_file'] = f'{root}val.json'
        if self.s.det_iters:
            opts.update(schedule_options(self.s.det_config, self.s.det_iters))
        # Validation during training is skipped: tools/test.py scores the last
        # checkpoint on the pooled held-out set (no model selection on val).
        opts['train_cfg.val_begin'] = 10**9
        opts.update(self.s.det_options)
        return opts

    def _test_options(self) -> Dict[str, object]:
        return {'test_dataloader.dataset.data_root': f'{self.root}/',
                'test_dataloader.dataset.ann_file': str(self.eval_file),
                'test_evaluator.0.ann_file': str(self.eval_file),
                **{k: v for k, v in self.s.det_options.items()
                   if k.startswith(('test_dataloader', 'test_evaluator'))}}

    # --- units -----------------------------------------------------------
    def unit_file(self, arm: str, seed: int) -> Path:
        return self.results_dir / 'units' / f'{arm}_seed{seed}.json'

    def fingerprint(self, arm_name: str) -> dict:
        """What makes a unit comparable with the others: configs, schedule, data sizes.

        A finished unit is reused only if its fingerprint matches, so units of
        another schedule in the same results folder are never mixed in silently.
        """
        arm = ARMS[arm_name]
        return dict(
            data=self.s.data,
            det_config=self.s.det_syn_config if arm.synthetic else self.s.det_config,
            det_iters=self.det_iters, det_options=dict(self.s.det_options),
            eval_splits=list(self.s.eval_splits),
            gan_config=self.s.gan_configs.get(arm_name),
            gan_iters=self.gan_iters.get(arm_name),
            gan_options=dict(self.s.gan_options) if arm.synthetic == 'gan' else None,
            num_synthetic=self._num_synthetic() if arm.synthetic else 0)

    def load_unit(self, arm_name: str, seed: int) -> Optional[dict]:
        """The finished unit, or ``None``; a unit of other settings raises."""
        result_file = self.unit_file(arm_name, seed)
        if not result_file.is_file():
            return None
        unit = json.loads(result_file.read_text())
        expected = json.loads(json.dumps(self.fingerprint(arm_name)))
        if unit.get('fingerprint') != expected:
            raise ValueError(
                f'{result_file} was made with other settings ({unit.get("fingerprint")} vs '
                f'{expected}); use another --results-dir or delete it')
        return unit

    def run_unit(self, arm_name: str, seed: int) -> dict:
        """Run one ``(arm, seed)``, or load it if it already finished."""
        unit = self.load_unit(arm_name, seed)
        if unit is not None:
            self.log(f'[{arm_name} seed {seed}] done before, loading '
                     f'{self.unit_file(arm_name, seed)}')
            return unit
        arm = ARMS[arm_name]
        unit_dir = self.work_dir / arm_name / f'seed{seed}'
        commands: List[str] = []
        start = time.time()
        self.log(f'[{arm_name} seed {seed}] start')
        synthetic = (self._synthesize(arm, seed, unit_dir, commands)
                     if arm.synthetic else None)
        syn_done = time.time()
        config = self.s.det_syn_config if synthetic else self.s.det_config
        det_dir = unit_dir / 'detector'
        ckpt = self._train(config, det_dir, self.det_iters,
                           self._det_options(seed, synthetic), commands)
        metrics_file = unit_dir / 'metrics.json'
        cmd = [*self._tool('test.py'), config, str(ckpt), '--work-dir', str(det_dir),
               '--metrics-out', str(metrics_file), *cfg_options(self._test_options())]
        self._run(cmd, unit_dir / 'test.log', commands)
        raw = json.loads(metrics_file.read_text())
        missing = [k for k in METRIC_KEYS.values() if k not in raw]
        if missing:
            raise KeyError(f'{metrics_file} lacks {missing}: check the test evaluators')
        unit = dict(arm=arm_name, seed=seed,
                    metrics={name: raw[key] for name, key in METRIC_KEYS.items()},
                    raw_metrics=raw, commands=commands,
                    fingerprint=self.fingerprint(arm_name), threads=self.s.threads,
                    synthetic=str(synthetic) if synthetic else None,
                    seconds=dict(synthetic=round(syn_done - start, 1),
                                 total=round(time.time() - start, 1)))
        write_json_atomic(unit, self.unit_file(arm_name, seed))
        self.log(f'[{arm_name} seed {seed}] {unit["metrics"]} ({unit["seconds"]["total"]} s)')
        return unit

    def report(self, units: List[dict], counts: dict, command: str) -> dict:
        """Rewrite the report from the units finished so far."""
        settings = asdict(self.s)
        settings.update(eval_set=counts, num_synthetic=self._num_synthetic(),
                        det_iters=self.det_iters, gan_iters=self.gan_iters,
                        units_done=len(units),
                        units_total=len(self.s.seeds) * len(self.s.arms))
        seeds, arms = list(self.s.seeds), list(self.s.arms)
        order = sorted(units, key=lambda u: (seeds.index(u['seed']), arms.index(u['arm'])))
        return write_report(order, [ARMS[a] for a in self.s.arms], settings,
                            self.results_dir, command)

    def run(self, command: str = '') -> dict:
        """Run every unit (seed-major, ``jobs`` at a time), reporting after each one."""
        self.work_dir.mkdir(parents=True, exist_ok=True)
        counts = merge_coco([self.root / f'{s}.json' for s in self.s.eval_splits],
                            self.eval_file)
        self.log(f'evaluation set {"+".join(self.s.eval_splits)}: {counts}')
        todo = [(arm, seed) for seed in self.s.seeds for arm in self.s.arms]
        units = [u for u in (self.load_unit(a, s) for a, s in todo) if u is not None]
        for u in units:
            self.log(f'[{u["arm"]} seed {u["seed"]}] done before, loading '
                     f'{self.unit_file(u["arm"], u["seed"])}')
        done = {(u['arm'], u['seed']) for u in units}
        todo = [t for t in todo if t not in done]
        results = self.report(units, counts, command) if units else None

        def work(arm_seed):
            unit = self.run_unit(*arm_seed)
            with self._lock:
                units.append(unit)
                return self.report(units, counts, command)

        with ThreadPoolExecutor(max_workers=self.s.jobs) as pool:
            futures = [pool.submit(work, t) for t in todo]
            try:
                for future in futures:
                    results = future.result()
            except BaseException:
                # Units not started yet are dropped; running ones finish (resumable).
                for future in futures:
                    future.cancel()
                raise
        return results


def run_experiment(settings: ExperimentSettings, command: str = '', log=print) -> dict:
    """Run the comparison described by ``settings``; returns the results dict."""
    return Experiment(settings, log).run(command)
