"""Evaluate a trained detector checkpoint on a config's test set (``tools/test.py``)."""
import os
import os.path as osp
from typing import Dict, Optional

from mmengine.config import Config

from mmdgan.fileio import allow_mmengine_checkpoints, write_json_atomic


def show_predictions(cfg: Config, show: bool = False, show_dir: Optional[str] = None,
                     wait_time: float = 2.0) -> None:
    """Make the test loop draw its predictions with mmdet's ``DetVisualizationHook``.

    As mmdet's ``tools/test.py`` does (``trigger_visualization_hook``), except
    that a config without the hook gets one: the detector configs run without
    it, since drawing costs time in training's validation.

    Args:
        cfg: A test config; changed in place.
        show: Show each image in a window, ``wait_time`` seconds each.
        show_dir: Write the painted images there; a relative folder lands
            in ``work_dir/<timestamp>/`` (mmdet's convention).
        wait_time: Seconds each shown image stays up.
    """
    if not show and not show_dir:
        return
    hook = dict(type='mmdet.DetVisualizationHook')
    hook.update(cfg.get('default_hooks', {}).get('visualization', {}), draw=True)
    if show:
        hook.update(show=True, wait_time=wait_time)
    if show_dir:
        hook.update(test_out_dir=show_dir)
    cfg.merge_from_dict({'default_hooks.visualization': hook})


def build_test_config(config: str, checkpoint: str, work_dir: Optional[str] = None,
                      out: Optional[str] = None, cfg_options: Optional[dict] = None,
                      launcher: str = 'none', show: bool = False,
                      show_dir: Optional[str] = None, wait_time: float = 2.0) -> Config:
    """Load ``config`` for testing ``checkpoint``, mmdet style.

    Args:
        config: Detector config file.
        checkpoint: Checkpoint to evaluate.
        work_dir: Overrides ``cfg.work_dir``; default ``./work_dirs/<config name>``.
        out: Also dump the raw predictions to this ``.pkl`` file.
        cfg_options: Dotted key -> value overrides.
        launcher: ``none``, ``pytorch``, ``slurm`` or ``mpi``.
        show: Show the predictions of each test image (:func:`show_predictions`).
        show_dir: Write the test images with their predictions drawn there.
        wait_time: Seconds each shown image stays up.

    Returns:
        The ready config.
    """
    if not osp.isfile(checkpoint):
        raise FileNotFoundError(f'checkpoint not found: {checkpoint}')
    if out is not None and not out.endswith(('.pkl', '.pickle')):
        raise ValueError(f'--out must be a .pkl or .pickle file, got {out}')
    # Same loading, overrides, work_dir default and CPU launcher fixes as training.
    from mmdgan.utils.runner_config import build_runner_config
    cfg = build_runner_config(config, work_dir=work_dir, cfg_options=cfg_options,
                              launcher=launcher)
    cfg.load_from = checkpoint
    cfg.resume = False
    if out is not None:
        evaluator = cfg.test_evaluator
        metrics = list(evaluator) if isinstance(evaluator, (list, tuple)) else [evaluator]
        cfg.test_evaluator = [*metrics, dict(type='mmdet.DumpDetResults', out_file_path=out)]
    show_predictions(cfg, show, show_dir, wait_time)
    return cfg


def evaluate(cfg: Config, metrics_out: Optional[str] = None) -> Dict[str, float]:
    """Run the test loop of ``cfg`` and return (and optionally save) its metrics.

    Args:
        cfg: A config from :func:`build_test_config`.
        metrics_out: Write the metrics to this json file (atomically).

    Returns:
        Metric name -> value, as logged by the evaluators.
    """
    from mmengine.runner import Runner

    from mmdgan.utils import register_all_modules

    register_all_modules(init_default_scope=False)
    allow_mmengine_checkpoints()  # cfg.load_from may be a full training checkpoint
    runner = Runner.from_cfg(cfg)
    metrics = {k: float(v) for k, v in runner.test().items()}
    if metrics_out is not None:
        os.makedirs(osp.dirname(osp.abspath(metrics_out)), exist_ok=True)
        write_json_atomic(metrics, metrics_out)
    return metrics
