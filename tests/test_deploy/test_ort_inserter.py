import numpy as np
import onnx
import pytest

from mmdgan.deploy import OrtInserter, cuda_usable, resolve_providers
from mmdgan.deploy.metadata import PREFIX


def test_matches_torch_with_internal_batching(tiny_export, inputs, torch_output):
    path, _ = tiny_export
    images, masks = inputs(5, 32, 36)
    inserter = OrtInserter(path, providers='cpu', intra_op_num_threads=1, batch_size=2)
    assert inserter.providers == ['CPUExecutionProvider'] and inserter.device == 'cpu'
    out = inserter(images, masks)
    assert out.dtype == np.float32 and out.shape == images.shape
    np.testing.assert_allclose(out, torch_output(images, masks), atol=1e-4, rtol=0)
    # Batching must not change results: one call of 5 == calls of 2, 2, 1.
    np.testing.assert_array_equal(out, OrtInserter(path, providers='cpu')(images, masks))


@pytest.mark.parametrize('case, message', [
    ('channels', 'images have 3 channels, the model takes 1'),
    ('rank', 'images must have rank 4'),
    ('mask_size', r'masks must be \(2, 1, 32, 32\)'),
    ('mask_channels', r'masks must be \(2, 1, 32, 32\)'),
    ('mask_batch', r'masks must be \(2, 1, 32, 32\)'),
    ('not_numpy', 'masks must be a numpy array'),
])
def test_bad_input_one_line_error(tiny_export, inputs, case, message):
    path, _ = tiny_export
    inserter = OrtInserter(path, providers='cpu')
    images, masks = inputs(2, 32, 32)
    bad = {
        'channels': (np.repeat(images, 3, axis=1), masks),
        'rank': (images[0], masks),
        'mask_size': (images, masks[..., :31]),
        'mask_channels': (images, np.repeat(masks, 2, axis=1)),
        'mask_batch': (images, masks[:1]),
        'not_numpy': (images, masks.tolist()),
    }[case]
    with pytest.raises(ValueError, match=message) as info:
        inserter(*bad)
    assert '\n' not in str(info.value)


def test_not_onnx_and_missing_file(tmp_path):
    fake = tmp_path / 'model.onnx'
    fake.write_text('this is a text file, not a protobuf')
    with pytest.raises(ValueError, match='model.onnx: not a loadable ONNX model') as info:
        OrtInserter(fake)
    assert '\n' not in str(info.value)
    with pytest.raises(FileNotFoundError, match='ONNX model not found'):
        OrtInserter(tmp_path / 'absent.onnx')


def test_model_without_metadata(tiny_export, tmp_path):
    path, _ = tiny_export
    model = onnx.load(str(path))
    kept = [(p.key, p.value) for p in model.metadata_props if not p.key.startswith(PREFIX)]
    del model.metadata_props[:]
    for key, value in kept:
        model.metadata_props.add(key=key, value=value)
    foreign = tmp_path / 'foreign.onnx'
    onnx.save(model, str(foreign))
    with pytest.raises(ValueError, match='foreign.onnx: ONNX model has no mmdgan metadata'):
        OrtInserter(foreign)


def test_provider_choice_is_explicit_and_quiet(tiny_export, capfd):
    path, _ = tiny_export
    inserter = OrtInserter(path)  # auto: CUDA only when it initialises
    expected = 'CUDAExecutionProvider' if cuda_usable() else 'CPUExecutionProvider'
    assert inserter.providers[0] == expected
    captured = capfd.readouterr()
    # onnxruntime-gpu without CUDA libraries logs a loud error when CUDA is
    # merely tried; the probe must keep that off the console.
    assert 'CUDA' not in captured.err + captured.out
    assert resolve_providers('cpu') == ['CPUExecutionProvider']
    if cuda_usable():
        assert resolve_providers('cuda')[0] == 'CUDAExecutionProvider'
    else:
        with pytest.raises(RuntimeError, match='CUDAExecutionProvider is not usable'):
            resolve_providers('cuda')
    with pytest.raises(ValueError, match='unknown or unavailable'):
        resolve_providers(['NoSuchExecutionProvider'])
    with pytest.raises(ValueError, match='intra_op_num_threads must be >= 1'):
        OrtInserter(path, intra_op_num_threads=0)
