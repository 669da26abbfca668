"""The tiny DetectorGAN config used by the engine, model and tool tests."""
import copy
from pathlib import Path
from typing import Optional, Tuple

from mmengine.config import Config

TINY_CONFIG = Path(__file__).parent / 'data' / 'dgan_tiny.py'


def data_options(data_root: Path) -> dict:
    """``--cfg-options`` pointing every dataloader and evaluator at ``data_root``."""
    root = f'{data_root}/'
    return {
        'train_dataloader.dataset.data_root': root,
        'val_dataloader.dataset.data_root': root,
        'test_dataloader.dataset.data_root': root,
        'val_evaluator.ann_file': root + 'val.json',
        'test_evaluator.ann_file': root + 'test.json',
    }


def load_tiny_cfg(data_root: Path, work_dir: Optional[Path] = None, **options) -> Config:
    """The tiny config on ``data_root`` with dotted-key ``options`` merged in."""
    cfg = Config.fromfile(str(TINY_CONFIG))
    cfg.merge_from_dict({**data_options(data_root), **options})
    if work_dir is not None:
        cfg.work_dir = str(work_dir)
    return cfg


def build_tiny(cfg: Config, seed: int = 0) -> Tuple:
    """``(model, optim_wrapper, batch)`` from ``cfg``, without a runner."""
    import torch
    from mmengine.runner import Runner

    from mmdgan.registry import MODELS, OPTIM_WRAPPER_CONSTRUCTORS
    from mmdgan.utils import register_all_modules

    register_all_modules()
    torch.manual_seed(seed)
    model = MODELS.build(copy.deepcopy(cfg.model))
    model.init_weights()
    optim_cfg = copy.deepcopy(cfg.optim_wrapper)
    constructor = optim_cfg.pop('constructor')
    optim_wrapper = OPTIM_WRAPPER_CONSTRUCTORS.build(
        dict(type=constructor, optim_wrapper_cfg=optim_cfg))(model)
    batch = next(iter(Runner.build_dataloader(copy.deepcopy(cfg.train_dataloader), seed=seed)))
    return model, optim_wrapper, batch
