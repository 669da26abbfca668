"""load_generator reads one generator out of a full DetectorGAN checkpoint;
TorchInserter checks its inputs like OrtInserter does."""
import numpy as np
import pytest
import torch
from mmengine.config import Config

from mmdgan.apis import TorchInserter, load_generator
from mmdgan.models import MaskedResnetGenerator

GEN = dict(type='MaskedResnetGenerator', in_channels=1, base_channels=4, num_blocks=1)


@pytest.fixture
def dgan_checkpoint(tmp_path):
    torch.manual_seed(0)
    inserter = MaskedResnetGenerator(1, base_channels=4, num_blocks=1)
    remover = MaskedResnetGenerator(1, base_channels=4, num_blocks=1)
    state = {f'generator_x.{k}': v for k, v in inserter.state_dict().items()}
    state.update({f'generator_y.{k}': v for k, v in remover.state_dict().items()})
    state['detector.some.weight'] = torch.zeros(3)
    path = tmp_path / 'iter_1.pth'
    torch.save({'state_dict': state, 'meta': {}}, path)
    cfg = Config(dict(model=dict(type='DetectorGAN', generator_x=GEN, generator_y=GEN)))
    return cfg, path, inserter, remover


@pytest.mark.parametrize('which', ['inserter', 'remover'])
def test_load_generator_takes_only_its_own_keys(dgan_checkpoint, which):
    cfg, path, inserter, remover = dgan_checkpoint
    expected = inserter if which == 'inserter' else remover
    loaded = load_generator(cfg, str(path), which=which)
    assert not loaded.training
    for name, value in expected.state_dict().items():
        assert torch.equal(loaded.state_dict()[name], value), name


def test_load_generator_rejects_bad_requests(dgan_checkpoint):
    cfg, path, _, _ = dgan_checkpoint
    with pytest.raises(ValueError, match='which'):
        load_generator(cfg, str(path), which='both')
    with pytest.raises(KeyError, match='generator_x'):
        load_generator(Config(dict(model=dict(type='RetinaNet'))), str(path))


def test_torch_inserter_runs_and_validates(dgan_checkpoint):
    _, _, inserter, _ = dgan_checkpoint
    run = TorchInserter(inserter)
    images = np.random.default_rng(0).uniform(-1, 1, (2, 1, 16, 20)).astype(np.float32)
    masks = np.zeros((2, 1, 16, 20), np.float32)
    masks[:, :, 4:9, 5:12] = 1
    out = run(images, masks)
    assert out.shape == images.shape and out.dtype == np.float32
    # Hard compositing: the outside of the mask is the input, bit for bit.
    np.testing.assert_array_equal(out[masks == 0], images[masks == 0])
    with pytest.raises(ValueError, match='channels'):
        run(np.zeros((1, 3, 16, 20), np.float32), masks[:1])
    with pytest.raises(ValueError, match='masks must be'):
        run(images, masks[:, :, :8])
    with pytest.raises(ValueError, match='rank 4'):
        run(images[0], masks[0])
