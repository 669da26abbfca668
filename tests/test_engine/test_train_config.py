"""build_train_config: mmdet-style command-line overrides."""
import pytest
import torch

from mmdgan.utils.runner_config import build_runner_config as build_train_config
from tests.test_engine.tiny_cfg import TINY_CONFIG


def test_amp_switches_every_optimizer_group():
    cfg = build_train_config(str(TINY_CONFIG), amp=True)
    for group in ('generators', 'discriminators', 'detector'):
        assert cfg.optim_wrapper[group].type == 'AmpOptimWrapper'
        assert cfg.optim_wrapper[group].loss_scale == 'dynamic'
    assert cfg.optim_wrapper.detector.clip_grad.max_norm == 35


def test_resume_modes(tmp_path):
    cfg = build_train_config(str(TINY_CONFIG), work_dir=str(tmp_path), resume='auto')
    assert cfg.resume is True and cfg.load_from is None and cfg.work_dir == str(tmp_path)
    ckpt = tmp_path / 'iter_2.pth'
    torch.save({'meta': {'iter': 2}, 'state_dict': {}}, ckpt)
    cfg = build_train_config(str(TINY_CONFIG), resume=str(ckpt))
    assert cfg.resume is True and cfg.load_from == str(ckpt)
    ckpt.write_bytes(b'')  # truncated by a kill: named, not resumed from
    with pytest.raises(ValueError, match='iter_2.pth is truncated or unreadable'):
        build_train_config(str(TINY_CONFIG), resume=str(ckpt))
    with pytest.raises(FileNotFoundError, match='missing.pth'):
        build_train_config(str(TINY_CONFIG), resume=str(tmp_path / 'missing.pth'))


def test_cfg_options_and_default_work_dir():
    cfg = build_train_config(str(TINY_CONFIG), cfg_options={'model.unroll.mode': 'finite_diff'})
    assert cfg.model.unroll.mode == 'finite_diff'
    assert cfg.work_dir.endswith('work_dirs/dgan_tiny')


def test_cpu_launcher_uses_gloo_and_separate_ddp(monkeypatch):
    monkeypatch.setattr(torch.cuda, 'is_available', lambda: False)
    cfg = build_train_config(str(TINY_CONFIG), launcher='pytorch')
    assert cfg.env_cfg.dist_cfg.backend == 'gloo'
    assert cfg.model_wrapper_cfg.type == 'MMSeparateDistributedDataParallel'
    assert cfg.model_wrapper_cfg.device_ids is None


def test_missing_config_is_named(tmp_path):
    with pytest.raises(FileNotFoundError, match='nope.py'):
        build_train_config(str(tmp_path / 'nope.py'))


def test_cpu_launcher_makes_plain_detector_ddp_cpu_friendly(monkeypatch, tmp_path):
    monkeypatch.setattr(torch.cuda, 'is_available', lambda: False)
    config = tmp_path / 'det.py'
    config.write_text("model = dict(type='mmdet.RetinaNet')\n")
    cfg = build_train_config(str(config), launcher='pytorch')
    assert cfg.model_wrapper_cfg.type == 'MMDistributedDataParallel'
    assert cfg.model_wrapper_cfg.device_ids is None
