import json
import math

import numpy as np
import onnx
import pytest
from onnx import numpy_helper

from mmdgan.deploy import OrtInserter, gate_candidate, psnr, quantize_model, read_metadata
from mmdgan.deploy.inputs import list_images
from mmdgan.deploy.quantize import edited_region


def test_psnr_definition():
    ref = np.zeros((1, 1, 4, 4), np.float32)
    assert psnr(ref, ref) == math.inf
    # MSE 0.01 on a peak-to-peak range of 2: 10 log10(4 / 0.01) = 26.02 dB.
    assert psnr(ref, ref + 0.1) == pytest.approx(10 * math.log10(400), abs=1e-6)
    region = np.zeros((1, 1, 4, 4), bool)
    region[..., :2, :2] = True
    test = ref.copy()
    test[..., 3, 3] = 1.0  # outside the region: ignored
    assert psnr(ref, test, region) == math.inf


def _perturbed(path, scale=0.5, seed=0):
    model = onnx.load(str(path))
    rng = np.random.default_rng(seed)
    for i, init in enumerate(model.graph.initializer):
        if len(init.dims) == 4:  # conv weights
            weight = numpy_helper.to_array(init)
            noisy = weight + scale * np.abs(weight).max() * rng.standard_normal(weight.shape)
            model.graph.initializer[i].CopyFrom(
                numpy_helper.from_array(noisy.astype(np.float32), init.name))
    return model


def test_gate_refuses_broken_model(tiny_export, inputs):
    path, _ = tiny_export
    images, masks = inputs(3, 48, 48)
    with pytest.raises(ValueError, match=r'broken model refused: PSNR .* dB < 30 dB') as info:
        gate_candidate(path, _perturbed(path), images, masks, 30.0, 'broken')
    assert '\n' not in str(info.value)
    # The unmodified model passes with an infinite PSNR.
    assert gate_candidate(path, onnx.load(str(path)), images, masks, 30.0, 'same')[0] == math.inf


def test_unreachable_gate_writes_nothing(tiny_export, clean_images_dir, tmp_path):
    path, _ = tiny_export
    out = tmp_path / 'int8.onnx'
    with pytest.raises(ValueError, match=r'int8 model refused: PSNR .* dB < 200 dB'):
        quantize_model(path, out, 'int8', str(clean_images_dir), num_calib=4, num_heldout=2,
                       size=64, min_psnr=200)
    assert list(tmp_path.iterdir()) == []


def test_int8_tiny_model(tiny_export, clean_images_dir, tmp_path, inputs):
    """The int8 path itself, always run: the gate is set so that it cannot refuse
    (issue 13.10: a refusal used to end this test early, as a pass)."""
    path, _ = tiny_export
    out = tmp_path / 'int8.onnx'
    report = quantize_model(path, out, 'int8', str(clean_images_dir), num_calib=4,
                            num_heldout=4, size=64, min_psnr=0.0)
    assert report.psnr > 20 and report.num_calib == 4 and report.num_heldout == 4
    model = onnx.load(str(out))
    assert any(n.op_type == 'QuantizeLinear' for n in model.graph.node)
    meta, fp32_meta = read_metadata(model), read_metadata(onnx.load(str(path)))
    assert meta['precision'] == 'int8'
    assert float(meta['psnr_vs_fp32']) == pytest.approx(report.psnr, rel=1e-3)
    assert {k: v for k, v in meta.items() if k in fp32_meta and k != 'precision'} == \
        {k: v for k, v in fp32_meta.items() if k != 'precision'}
    images, masks = inputs(2, 40, 44)
    got = OrtInserter(out)(images, masks)
    # The composite stays float: pixels outside the boxes are the input's.
    outside = np.broadcast_to(masks == 0, images.shape)
    assert np.array_equal(got[outside], images[outside])
    expected = OrtInserter(path)(images, masks)
    assert psnr(expected, got, edited_region(images, masks, expected)) > 20


def test_fp16_variant_and_clean_json(tiny_export, clean_images_dir, tmp_path, inputs):
    path, _ = tiny_export
    coco = {'images': [{'id': i, 'file_name': f'clean_{i:02d}.png'} for i in range(8)],
            'annotations': [], 'categories': []}
    ann = clean_images_dir / 'clean_train.json'
    ann.write_text(json.dumps(coco))
    out = tmp_path / 'fp16.onnx'
    report = quantize_model(path, out, 'fp16', str(ann), num_calib=4, num_heldout=4, size=64)
    assert report.psnr >= 30
    model = onnx.load(str(out))
    assert read_metadata(model)['precision'] == 'fp16'
    assert any(i.data_type == onnx.TensorProto.FLOAT16 for i in model.graph.initializer)
    images, masks = inputs(2, 36, 40)
    fp16 = OrtInserter(out)
    assert fp16.precision == 'fp16'
    np.testing.assert_allclose(fp16(images, masks), OrtInserter(path)(images, masks), atol=2e-2)
    # Only fp32 exports are accepted as the source of a variant.
    with pytest.raises(ValueError, match='precision is fp16, expected an fp32 export'):
        quantize_model(out, tmp_path / 'again.onnx', 'int8', str(ann))


def test_calibration_source_errors(tmp_path, tiny_export):
    path, _ = tiny_export
    ann = tmp_path / 'clean.json'
    ann.write_text(json.dumps({'images': [{'id': 0, 'file_name': 'gone.png'}]}))
    with pytest.raises(FileNotFoundError, match='1 listed images missing'):
        list_images(ann)
    with pytest.raises(FileNotFoundError, match='image source not found'):
        quantize_model(path, tmp_path / 'q.onnx', 'int8', str(tmp_path / 'nowhere'))
    with pytest.raises(ValueError, match='mode must be one of'):
        quantize_model(path, tmp_path / 'q.onnx', 'int4', str(ann))
