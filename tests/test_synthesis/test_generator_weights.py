"""Generator weights in and out of DetectorGAN checkpoints."""
import pytest
import torch

from mmdgan.synthesis.inserter import load_generator, save_generator

GAN_CONFIG = 'configs/dgan_retinanet-effnet-lite0_local-crop_1xb4-2k_mini-mias.py'


def _full_checkpoint(path):
    """A checkpoint keyed as tools/train.py saves a DetectorGAN, with both generators."""
    torch.manual_seed(0)
    state = {}
    for which, key in (('inserter', 'generator_x'), ('remover', 'generator_y')):
        generator = load_generator(GAN_CONFIG, None, which)
        for p in generator.parameters():
            torch.nn.init.normal_(p)
        state.update({f'{key}.{k}': v for k, v in generator.state_dict().items()})
    state['detector.backbone.weight'] = torch.randn(1000, 100)
    torch.save(dict(state_dict=state, meta=dict(iter=300, seed=0, hook_msgs={'x': 1}),
                    optimizer={'big': torch.randn(1000, 100)}), path)
    return state


@pytest.mark.parametrize('which, key', [('inserter', 'generator_x'),
                                        ('remover', 'generator_y')])
def test_saved_generator_loads_to_the_same_weights(tmp_path, which, key):
    full = tmp_path / 'iter_300.pth'
    state = _full_checkpoint(full)
    small = tmp_path / 'out' / 'g.pth'
    written = save_generator(str(full), str(small), which)
    assert written == sum(k.startswith(f'{key}.') for k in state)
    assert small.stat().st_size < full.stat().st_size / 2
    saved = torch.load(small)
    assert set(saved['state_dict']) == {k for k in state if k.startswith(f'{key}.')}
    assert saved['meta']['iter'] == 300 and 'hook_msgs' not in saved['meta']
    assert saved['meta']['source'] == str(full)
    loaded = load_generator(GAN_CONFIG, str(small), which).state_dict()
    for k, v in loaded.items():
        assert torch.equal(v, state[f'{key}.{k}']), k
    # Both files give the same generator.
    from_full = load_generator(GAN_CONFIG, str(full), which).state_dict()
    assert all(torch.equal(from_full[k], v) for k, v in loaded.items())


def test_save_generator_refuses_bad_input_without_writing(tmp_path):
    detector_only = tmp_path / 'det.pth'
    torch.save(dict(state_dict={'detector.w': torch.zeros(1)}), detector_only)
    out = tmp_path / 'g.pth'
    with pytest.raises(KeyError, match=r'det.pth: no generator_x\.\* weights'):
        save_generator(str(detector_only), str(out))
    with pytest.raises(ValueError, match='which must be one of'):
        save_generator(str(detector_only), str(out), 'detector')
    with pytest.raises(FileNotFoundError, match='missing.pth'):
        save_generator(str(tmp_path / 'missing.pth'), str(out))
    assert list(tmp_path.iterdir()) == [detector_only]
