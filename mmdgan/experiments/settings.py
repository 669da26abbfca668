"""What defines one cross-validated comparison, read from an experiment config.

An experiment config (``configs/experiments/``, mmengine ``Config``) holds the fields of
:class:`CVSettings` plus ``execution`` (how steps are spread; never changes a result).
Its relative paths are relative to the repository.
"""
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Dict, List, Optional, Sequence

from mmdgan.evaluation.operating_point import OP_SENSITIVITY
from mmdgan.synthesis.copy_paste import BLENDS
from mmdgan.utils.config import config_fromfile
from mmdgan.utils.tool_runner import REPO_ROOT

from .arms import ARMS

#: Default costs, seconds on one core of the 2-core machine (results/README.md "Speed"): per
#: detector / GAN step, process start, image scored / synthesized, film of a quality score.
DEFAULT_COSTS = dict(det_step=0.8, gan_step=4.4, gan_step_nounroll=2.9, gan_step_nodet=2.7,
                     process=20.0, score_image=0.05, synth_image=0.3, quality_image=0.1)

#: How the steps run (no effect on any result): workers side by side, OpenMP threads
#: per step, the address of a Dask scheduler (``None``: a local cluster), a fraction
#: whose units, on every fold seed, run before all others (``None``: the plan's order),
#: and arms whose units run after the others of their fraction group.
DEFAULT_EXECUTION = dict(workers=2, threads=1, scheduler=None, first_fraction=None,
                         last_arms=[])


@dataclass
class CVSettings:
    """Everything that defines one cross-validated comparison.

    Each field is commented in ``configs/experiments/_base_/cv.py``. Beyond those:
    ``data`` names the comparison in the report and in every unit's fingerprint;
    ``det_syn_config`` is ``det_config`` on ``ConcatDataset(real, synthetic)``;
    ``gan_configs`` maps every GAN arm (and ``dgan``, whose box sampler, class and
    size copy-paste uses) to its config; ``costs`` are the seconds per step,
    process start and image that price the plan (:data:`DEFAULT_COSTS`).
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
    folds: int = 5
    fold_seed: int = 0
    extra_fold_seeds: Sequence[int] = ()
    extra_fold_fractions: Optional[Sequence[float]] = None
    info_file: Optional[str] = None
    real_epochs: float = 40.0
    gan_iters: Optional[int] = None
    gan_init_from: Dict[str, str] = field(default_factory=dict)
    syn_per_real: float = 1.0
    fractions: Sequence[float] = (1.0,)
    lc_arms: Sequence[str] = ('real', 'dgan')
    lc_arms_by_fraction: Dict[str, Sequence[str]] = field(default_factory=dict)
    lc_control_arms: Sequence[str] = ()
    sweep_ratios: Sequence[float] = ()
    sweep_arms: Sequence[str] = ('dgan',)
    extra_gan_seeds: int = 0
    gan_var_arms: Sequence[str] = ('dgan',)
    special_fold: int = 0
    warm_start: bool = True
    op_sensitivity: float = OP_SENSITIVITY
    quality_images: int = 500
    copy_paste_blend: Optional[str] = None
    det_options: Dict[str, object] = field(default_factory=dict)
    gan_options: Dict[str, object] = field(default_factory=dict)
    costs: Dict[str, float] = field(default_factory=dict)

    @property
    def planned_arms(self) -> List[str]:
        """The arms that get units: the comparison's, and those named for one fraction
        (``lc_arms_by_fraction``), each once, in order (``lc_arms`` only picks among them)."""
        curves = (a for arms in self.lc_arms_by_fraction.values() for a in arms)
        return list(dict.fromkeys((*self.arms, *curves)))

    def __post_init__(self) -> None:
        unknown = [a for a in (*self.planned_arms, *self.lc_arms, *self.lc_control_arms,
                               *self.sweep_arms, *self.gan_var_arms) if a not in ARMS]
        if unknown:
            raise ValueError(f'unknown arm(s) {unknown}; choose from {list(ARMS)}')
        stray = [a for a in self.lc_control_arms if a not in self.arms or a in self.lc_arms]
        if stray:
            raise ValueError(f'lc_control_arms {stray} must be arms of the comparison '
                             f'{list(self.arms)} and not of lc_arms {list(self.lc_arms)}')
        if not self.seeds:
            raise ValueError('seeds: at least one detector seed is needed')
        stray = [a for a in self.late_arms if a not in self.arms]
        if stray:
            raise ValueError(f'late_arms {stray} are not arms of the comparison {list(self.arms)}')
        if self.quality_images < 0 or self.quality_images == 1:
            raise ValueError(f'quality_images must be 0 (off) or >= 2, got {self.quality_images}')
        if self.copy_paste_blend not in (None, *BLENDS):
            raise ValueError(f'copy_paste_blend must be None (by the data) or one of {BLENDS}, '
                             f'got {self.copy_paste_blend!r}')
        if not 0 <= self.special_fold < self.folds:
            raise ValueError(f'special_fold {self.special_fold} is not a fold of {self.folds}')
        if self.fold_seed in self.extra_fold_seeds or \
                len(set(self.extra_fold_seeds)) != len(self.extra_fold_seeds):
            raise ValueError(f'extra_fold_seeds {list(self.extra_fold_seeds)} must differ from '
                             f'each other and from fold_seed {self.fold_seed}')
        if self.syn_per_real <= 0 or any(r <= 0 for r in self.sweep_ratios):
            raise ValueError('syn_per_real and sweep_ratios must be > 0')
        if any(not 0 < f <= 1 for f in self.fractions):
            raise ValueError(f'fractions must lie in (0, 1], got {list(self.fractions)}')
        self.fractions = sorted(set(self.fractions) | {1.0})
        stray = [f for f in self.extra_fold_fractions or () if f not in self.fractions]
        if stray:
            raise ValueError(f'extra_fold_fractions {stray} are not fractions of {self.fractions}')
        stray = [k for k in self.lc_arms_by_fraction
                 if k not in {f'{f:g}' for f in self.fractions if f < 1}]
        if stray:
            raise ValueError(f'lc_arms_by_fraction keys {stray} are not fractions < 1 of '
                             f'{self.fractions} (write them as "0.25")')
        self.costs = {**DEFAULT_COSTS, **self.costs}
        for name in (self.det_config, self.det_syn_config, *self.gan_configs.values()):
            if not repo_path(name).is_file():
                raise FileNotFoundError(f'config file not found: {name}')
        if self.info_file is not None and not repo_path(self.info_file).is_file():
            raise FileNotFoundError(f'info_file: mini-MIAS Info.txt not found: {self.info_file}')
        needed = {a for a in self.planned_arms if ARMS[a].synthetic == 'gan'}
        if 'copy-paste' in self.arms:
            needed.add('dgan')  # copy-paste takes the full DetectorGAN's box sampler and size
        stray = {a: b for a, b in self.gan_init_from.items()
                 if ARMS.get(a, ARMS['real']).synthetic != 'gan'
                 or ARMS.get(b, ARMS['real']).synthetic != 'gan' or a == b}
        if stray:
            raise ValueError(f'gan_init_from {stray}: maps a GAN arm to another GAN arm')
        needed |= {b for a, b in self.gan_init_from.items() if a in needed}
        missing = sorted(needed - set(self.gan_configs))
        if missing:
            raise ValueError(f'gan_configs lacks the GAN config of arm(s) {missing}')
        keys = {f'gan_step_{ARMS[a].variant}' if ARMS[a].variant else 'gan_step'
                for a in needed if ARMS[a].synthetic == 'gan'}
        if keys - set(self.costs):
            raise ValueError(f'costs lacks the step seconds {sorted(keys - set(self.costs))}')


def curve_arms(settings: dict, fraction: float) -> Sequence[str]:
    """The learning curve's own arms at ``fraction`` of a settings dict (the report's)."""
    return settings.get('lc_arms_by_fraction', {}).get(f'{fraction:g}', settings['lc_arms'])


def repo_path(path: str) -> Path:
    """A path of an experiment config: absolute, or relative to the repository."""
    return Path(path) if Path(path).is_absolute() else REPO_ROOT / path


def load_experiment(config: str, cfg_options: Optional[dict] = None) -> tuple:
    """``(CVSettings, execution dict)`` of an experiment config file.

    Raises:
        FileNotFoundError: No such config.
        ValueError: A key that is no setting, or a bad value (named by the settings).
    """
    if not Path(config).is_file():
        raise FileNotFoundError(f'experiment config not found: {config}')
    cfg = config_fromfile(config)
    if cfg_options:
        cfg.merge_from_dict(cfg_options)
    values = {k: v for k, v in cfg.to_dict().items() if not k.startswith('_')}  # not _helpers
    execution = {**DEFAULT_EXECUTION, **values.pop('execution', {})}
    known = {f.name for f in fields(CVSettings)}
    unknown = sorted(set(values) - known)
    if unknown:
        raise ValueError(f'{config}: unknown key(s) {unknown}; experiment keys: {sorted(known)}')
    stray = sorted(set(execution) - set(DEFAULT_EXECUTION))
    if stray or int(execution['workers']) < 1 or int(execution['threads']) < 1:
        raise ValueError(f'{config}: execution must be {DEFAULT_EXECUTION} with workers and '
                         f'threads >= 1, got {execution}')
    settings = CVSettings(**values)
    first = execution['first_fraction']
    if first is not None and first not in settings.fractions:
        raise ValueError(f'{config}: execution.first_fraction {first} is not one of the '
                         f'fractions {settings.fractions}')
    strangers = sorted(set(execution['last_arms']) - set(settings.planned_arms))
    if strangers:
        raise ValueError(f'{config}: execution.last_arms {strangers} are not arms of the '
                         f'experiment {settings.planned_arms}')
    return settings, execution
