"""Local-crop inserter deployed: crop network in ONNX, crop/paste shared with PyTorch."""
import numpy as np
import pytest
from deploy_helpers import make_tiny_crop_inserter

from mmdgan.deploy import OrtInserter, export_generator, quantize_model, read_metadata
from mmdgan.deploy.inputs import boxes_to_masks, random_boxes, synthetic_images
from mmdgan.deploy.onnx_io import load_onnx
from mmdgan.models.layers import context_windows
from mmdgan.synthesis.inserter import TorchInserter


@pytest.fixture(scope='module')
def crop_export(tmp_path_factory):
    inserter = make_tiny_crop_inserter()
    path = tmp_path_factory.mktemp('crop') / 'crop.onnx'
    return inserter, path, export_generator(inserter, path, fp16=False)


def _case(batch=3, height=50, width=44):
    rng = np.random.default_rng(4)
    images = synthetic_images(rng, batch, 1, height, width)
    boxes = random_boxes(rng, batch, height, width)
    boxes[0] = np.concatenate([boxes[0], np.float32([[width - 7, height - 5, width, height]])])
    boxes[-1] = np.zeros((0, 4), np.float32)  # an image without boxes
    return images, boxes_to_masks(boxes, height, width), boxes


def _inside_windows(masks, boxes):
    """Pixels of some window of the tiny inserter (context 2.5, min 8, margin 3)."""
    inside = np.zeros(masks.shape, bool)
    for index, x0, y0, side, _ in context_windows(boxes, 2.5, 8, 3):
        inside[index, :, max(y0, 0):y0 + side, max(x0, 0):x0 + side] = True
    return inside


def test_export_parity_and_metadata(crop_export):
    inserter, path, report = crop_export
    assert report.parity and max(report.parity.values()) <= 1e-4
    meta = read_metadata(load_onnx(path), str(path))
    assert meta['mode'] == 'local_crop'
    assert (int(meta['crop_size']), float(meta['context']), int(meta['min_window'])) == (
        32, 2.5, 8)
    assert (meta['composite'], int(meta['margin'])) == ('feather', 3)


def test_ort_matches_pytorch_and_keeps_pixels_outside_the_windows(crop_export):
    inserter, path, _ = crop_export
    images, masks, boxes = _case()
    expected = TorchInserter(inserter)(images, masks, boxes)
    ort = OrtInserter(path, providers='cpu', intra_op_num_threads=1, batch_size=2)
    got = ort(images, masks, boxes)
    np.testing.assert_allclose(got, expected, atol=1e-4, rtol=0)
    inside = _inside_windows(masks, boxes)
    np.testing.assert_array_equal(got[~inside], images[~inside])
    np.testing.assert_array_equal(got[-1], images[-1])
    assert not np.array_equal(got[0], images[0])


def test_residual_crop_inserter_pastes_its_change_in_ort_too(tmp_path):
    inserter = make_tiny_crop_inserter(output='residual')
    assert inserter.paste == 'change'
    path = tmp_path / 'residual.onnx'
    report = export_generator(inserter, path, fp16=False)
    assert max(report.parity.values()) <= 1e-4
    assert read_metadata(load_onnx(path), str(path))['paste'] == 'change'
    images, masks, boxes = _case()
    ort = OrtInserter(path, providers='cpu', intra_op_num_threads=1)
    assert ort.window_settings['paste'] == 'change'
    got = ort(images, masks, boxes)
    np.testing.assert_allclose(got, TorchInserter(inserter)(images, masks, boxes), atol=1e-4,
                               rtol=0)
    inside = _inside_windows(masks, boxes)
    np.testing.assert_array_equal(got[~inside], images[~inside])
    assert not np.array_equal(got[0], images[0])


def test_boxes_are_required(crop_export):
    inserter, path, _ = crop_export
    images, masks, _ = _case()
    for runner in (OrtInserter(path, providers='cpu'), TorchInserter(inserter)):
        with pytest.raises(ValueError, match='pass the boxes'):
            runner(images, masks)


@pytest.mark.parametrize('mode', ['int8', 'fp16'])
def test_quantized_crop_network_runs_at_crop_size(crop_export, clean_images_dir, tmp_path,
                                                  mode):
    inserter, path, _ = crop_export
    out = tmp_path / f'{mode}.onnx'
    report = quantize_model(path, out, mode, str(clean_images_dir), num_calib=4,
                            num_heldout=2, min_psnr=10.0, size=999)
    assert report.psnr >= 10.0
    meta = read_metadata(load_onnx(out), str(out))
    assert meta['precision'] == mode and meta['mode'] == 'local_crop'
    images, masks, boxes = _case()
    got = OrtInserter(out, providers='cpu')(images, masks, boxes)
    inside = _inside_windows(masks, boxes)
    np.testing.assert_array_equal(got[~inside], images[~inside])
