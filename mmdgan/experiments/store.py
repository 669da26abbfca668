"""The resumable unit store: one json file per finished unit, the comparison's source of truth.

``<results_dir>/units/{det,gan,quality}/<name>.json``: detector units, GANs (their
checkpoints stay in the work dir: results hold no weights) and insertion-quality scores,
each with a fingerprint of its settings: a finished unit is never rerun, one of other
settings is refused. Work dirs carry a digest of their unit's fingerprint, so other
settings never resume a stale checkpoint. Recorded paths are repository-relative.
"""
import hashlib
import json
from pathlib import Path
from typing import Dict, List, Optional, Sequence, Tuple

from mmdgan.fileio import write_json_atomic
from mmdgan.utils.tool_runner import load_cfg, portable, resolve

from .plan import DetUnit, Plan, Source

#: Crop embedding of the insertion-quality scores (tools/analysis_tools/insertion_quality.py).
QUALITY_EMBEDDER = dict(crop_size=128, context=0.5, feature='head')


def digest(obj) -> str:
    return hashlib.sha1(json.dumps(obj, sort_keys=True).encode()).hexdigest()[:16]


def _portable_record(obj):
    """``obj`` with every string made repository-relative (``tool_runner.portable``)."""
    if isinstance(obj, dict):
        return {k: _portable_record(v) for k, v in obj.items()}
    if isinstance(obj, list):
        return [_portable_record(v) for v in obj]
    return portable(obj) if isinstance(obj, str) else obj


class UnitStore:
    """Fingerprints, files and work dirs of the units of a :class:`.Plan`."""

    def __init__(self, plan: Plan) -> None:
        self.plan = plan
        self.s = plan.s
        self.units_dir = plan.results_dir / 'units'
        self._config_digests: Dict[str, str] = {}

    # --- fingerprints -----------------------------------------------------------
    def config_digest(self, config: str) -> str:
        """Digest of a config file's resolved content (its _base_ files included)."""
        if config not in self._config_digests:
            self._config_digests[config] = digest(load_cfg(config).to_dict())
        return self._config_digests[config]

    def _common(self, unit) -> dict:
        fp = dict(data=self.s.data, folds=digest(self.plan.records[unit.fold_seed]['films']),
                  fold=unit.fold, arm=unit.arm)
        return fp if unit.fold_seed is None else dict(fp, fold_seed=unit.fold_seed)

    def source_fingerprint(self, source: Source) -> dict:
        fp = dict(self._common(source), gan_seed=source.gan_seed, fraction=source.fraction,
                  num_real=self.plan.fold(source).num_real[source.fraction],
                  config=self.s.gan_configs.get('dgan' if not source.is_gan else source.arm))
        if source.is_gan:
            # The config's resolved content, not only its path: a GAN trained before
            # a config (or one of its _base_ files) changed must not be reused.
            fp.update(gan_iters=self.plan.gan_iters[source.arm],
                      gan_options=dict(self.s.gan_options), warm_start=self.s.warm_start,
                      config_digest=self.config_digest(self.s.gan_configs[source.arm]))
            init = self.plan.init_source(source)
            if init is not None:
                fp['init_from'] = self.source_fingerprint(init)
        else:
            fp.update(self.plan.copy_paste_record())
        return json.loads(json.dumps(fp))

    def unit_fingerprint(self, unit: DetUnit) -> dict:
        p = self.plan
        fp = dict(self._common(unit), seed=unit.seed, fraction=unit.fraction, ratio=unit.ratio,
                  gan_seed=unit.gan_seed, det_config=p.det_config(unit),
                  det_options=dict(self.s.det_options), real_epochs=self.s.real_epochs,
                  batch_size=p.batch_size, iters=p.iters(unit),
                  num_real=p.fold(unit).num_real[unit.fraction], num_syn=p.num_syn(unit),
                  op_sensitivity=self.s.op_sensitivity,
                  source=self.source_fingerprint(unit.source) if unit.source else None)
        return json.loads(json.dumps(fp))

    def quality_fingerprint(self, source: Source) -> dict:
        return json.loads(json.dumps(dict(source=self.source_fingerprint(source),
                                          images=self.s.quality_images,
                                          embedder=QUALITY_EMBEDDER)))

    # --- unit files -------------------------------------------------------------
    def det_file(self, unit: DetUnit) -> Path:
        return self.units_dir / 'det' / f'{unit.name(self.s.syn_per_real)}.json'

    def gan_file(self, source: Source) -> Path:
        return self.units_dir / 'gan' / f'{source.name()}.json'

    def quality_file(self, source: Source) -> Path:
        return self.units_dir / 'quality' / f'{source.name()}.json'

    @staticmethod
    def _load(path: Path, expected: dict) -> Optional[dict]:
        if not path.is_file():
            return None
        unit = json.loads(path.read_text())
        if unit.get('fingerprint') != expected:
            raise ValueError(f'{path} was made with other settings ({unit.get("fingerprint")} '
                             f'vs {expected}); use another results_dir or delete it')
        return unit

    @staticmethod
    def write(record: dict, path: Path) -> None:
        """Write a unit file, its paths relative to the repository (the fingerprint as is:
        it is compared with the settings' own spelling)."""
        write_json_atomic(dict(_portable_record(record), fingerprint=record['fingerprint']),
                          path)

    def load_unit(self, unit: DetUnit) -> Optional[dict]:
        return self._load(self.det_file(unit), self.unit_fingerprint(unit))

    def load_gan(self, source: Source) -> Optional[dict]:
        """The unit file of ``source``'s finished GAN (``None`` if it has not run)."""
        return self._load(self.gan_file(source), self.source_fingerprint(source))

    def load_quality(self, source: Source) -> Optional[dict]:
        """The insertion-quality score of ``source`` if it was measured."""
        return self._load(self.quality_file(source), self.quality_fingerprint(source))

    def finished(self, plan: Sequence[DetUnit]) -> Tuple[List[dict], List[DetUnit]]:
        """The unit files of ``plan`` present, and the units of ``plan`` still to run."""
        loaded = {d: self.load_unit(d) for d in plan}
        return ([u for u in loaded.values() if u is not None],
                [d for d, u in loaded.items() if u is None])

    def gan_checkpoint(self, source: Source) -> Optional[Path]:
        """The checkpoint of a finished GAN unit (``None`` if it has not run or its work
        dir is gone)."""
        unit = self.load_gan(source) if source.is_gan else None
        path = resolve(unit['checkpoint']) if unit else None
        return path if path is not None and path.is_file() else None

    # --- work dirs --------------------------------------------------------------
    def _unit_dir(self, unit) -> Path:
        fold = f'fold{unit.fold}' if unit.fold_seed is None else \
            f'folds{unit.fold_seed}_fold{unit.fold}'
        return self.plan.work_dir / fold / f'frac{unit.fraction:g}' / unit.arm

    def det_dir(self, unit: DetUnit) -> Path:
        return self._unit_dir(unit) / \
            f'{unit.name(self.s.syn_per_real)}-{digest(self.unit_fingerprint(unit))[:8]}'

    def source_dir(self, source: Source) -> Path:
        return self._unit_dir(source) / \
            f'gan{source.gan_seed}-{digest(self.source_fingerprint(source))[:8]}'

    def synthetic_dir(self, source: Source, num: int) -> Path:
        """Where the ``num`` synthetic images of ``source`` are written."""
        return self.source_dir(source) / f'synthetic_n{num}'

    def synthetic_done(self, source: Source, num: int) -> bool:
        """Whether that set exists (its train.json is written atomically, last)."""
        return (self.synthetic_dir(source, num) / 'train.json').is_file()
