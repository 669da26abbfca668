"""DetectorGAN.detector_checkpoint: the in-loop detector starts from a trained one."""
import copy

import pytest
import torch

from mmdgan.registry import MODELS  # noqa: E402
from mmdgan.utils import register_all_modules  # noqa: E402
from tests.test_engine.tiny_cfg import load_tiny_cfg

register_all_modules()


@pytest.fixture(scope='module')
def cfg(demo_data):
    return load_tiny_cfg(demo_data)


def _build(cfg, seed, **model_options):
    torch.manual_seed(seed)
    model = MODELS.build(dict(copy.deepcopy(cfg.model), **model_options))
    model.init_weights()
    return model


def _same_detector(a, b):
    state_a, state_b = a.detector.state_dict(), b.detector.state_dict()
    return state_a.keys() == state_b.keys() and all(
        torch.equal(state_a[k], state_b[k]) for k in state_a)


@pytest.mark.parametrize('layout', ['detector', 'detector_gan'])
def test_detector_starts_from_the_checkpoint_and_nothing_else_does(cfg, tmp_path, layout):
    trained = _build(cfg, seed=1)
    with torch.no_grad():
        for p in trained.detector.parameters():
            p.add_(0.5)  # unlike any initialisation
    state = (trained.detector.state_dict() if layout == 'detector' else trained.state_dict())
    path = tmp_path / 'det.pth'
    # The layout mmengine's CheckpointHook writes, with non-tensor metadata.
    torch.save(dict(meta=dict(iter=7), state_dict=state), path)
    warm = _build(cfg, seed=2, detector_checkpoint=str(path))
    cold = _build(cfg, seed=2)
    assert _same_detector(warm, trained)
    assert not _same_detector(cold, trained)
    # Only the detector comes from the file: the generators are those of the seed.
    assert all(torch.equal(p, q) for p, q in zip(warm.generator_x.parameters(),
                                                 cold.generator_x.parameters()))


def test_missing_or_mismatched_checkpoint_is_one_clear_error(cfg, tmp_path):
    with pytest.raises(FileNotFoundError, match='model.detector_checkpoint: .*nope.pth'):
        _build(cfg, seed=0, detector_checkpoint=str(tmp_path / 'nope.pth'))
    other = _build(cfg, seed=0)
    path = tmp_path / 'gen.pth'
    torch.save(dict(state_dict=other.generator_x.state_dict()), path)
    with pytest.raises(ValueError, match='does not fit the detector config'):
        _build(cfg, seed=0, detector_checkpoint=str(path))
    wide = copy.deepcopy(cfg.model.detector)
    wide.bbox_head.feat_channels = 8
    torch.save(dict(state_dict=MODELS.build(wide).state_dict()), path)
    with pytest.raises(ValueError, match='gen.pth does not fit the detector config'):
        _build(cfg, seed=0, detector_checkpoint=str(path))
