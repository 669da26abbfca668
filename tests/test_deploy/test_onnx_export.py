import numpy as np
import onnx
import pytest
import torch
from deploy_helpers import TINY_CONFIG, load_cli, make_tiny_generator

from mmdgan.deploy import OrtInserter, export_generator, export_onnx, read_metadata
from mmdgan.deploy.metadata import PREFIX, REQUIRED_KEYS
from mmdgan.models.generators.masked_resnet_generator import MaskedResnetGenerator


def test_export_parity_and_dynamic_axes(tiny_export):
    path, report = tiny_export
    model = onnx.load(str(path))
    onnx.checker.check_model(model)
    assert report.exporter == 'dynamo' and report.precision == 'fp32'
    # Random inputs at two batch sizes/unaligned sizes plus real-looking ones.
    assert len(report.parity) == 3 and any('real-looking' in k for k in report.parity)
    assert max(report.parity.values()) <= 1e-4
    for value_info in model.graph.input:
        dims = value_info.type.tensor_type.shape.dim
        assert [bool(d.dim_param) for d in dims] == [True, False, True, True]


def test_metadata_round_trip(tiny_export, tiny_generator):
    path, _ = tiny_export
    meta = read_metadata(onnx.load(str(path)), str(path))
    assert set(REQUIRED_KEYS) <= set(meta)
    assert meta['image_channels'] == str(tiny_generator.in_channels)
    assert meta['value_range'] == '-1,1'
    assert meta['channel_order'] == 'gray'
    assert meta['which'] == 'inserter'
    assert meta['size_divisor'] == str(tiny_generator.size_divisor)
    assert meta['precision'] == 'fp32' and meta['exporter'] == 'dynamo'
    assert OrtInserter(path).metadata == meta


@pytest.mark.parametrize('shape', [(1, 40, 52), (3, 64, 48)])
def test_dynamic_shapes_one_file(tiny_export, inputs, torch_output, shape):
    path, _ = tiny_export
    images, masks = inputs(*shape)
    got = OrtInserter(path, providers='cpu')(images, masks)
    assert got.shape == images.shape
    np.testing.assert_allclose(got, torch_output(images, masks), atol=1e-4, rtol=0)
    # Hard compositing: outside the boxes the input comes back untouched.
    outside = np.broadcast_to(masks == 0, images.shape)
    assert np.array_equal(got[outside], images[outside])


def test_torchscript_exporter_rgb(tmp_path, inputs):
    generator = make_tiny_generator(in_channels=3)
    out = tmp_path / 'rgb.onnx'
    report = export_generator(generator, out, exporter='torchscript')
    assert max(report.parity.values()) <= 1e-4
    inserter = OrtInserter(out)
    assert inserter.in_channels == 3 and inserter.metadata['channel_order'] == 'bgr'
    images, masks = inputs(2, 36, 44, channels=3)
    with torch.no_grad():
        expected = generator(torch.from_numpy(images), torch.from_numpy(masks)).numpy()
    np.testing.assert_allclose(inserter(images, masks), expected, atol=1e-4, rtol=0)


class _BranchingGenerator(MaskedResnetGenerator):
    """A forward with a data-dependent Python branch, which tracing freezes."""

    def forward(self, img, mask):
        if bool(mask.sum() == 0):  # the export example has empty masks
            return img + 0 * mask
        return super().forward(img, mask)


@pytest.mark.parametrize('variant', [dict(upsample='bilinear'), dict(output='residual')])
@pytest.mark.parametrize('exporter', ['dynamo', 'torchscript'])
def test_decoder_variants_export(tmp_path, inputs, exporter, variant):
    generator = make_tiny_generator(**variant)
    out = tmp_path / 'variant.onnx'
    report = export_generator(generator, out, exporter=exporter)
    assert max(report.parity.values()) <= 1e-4
    # Dynamic shapes: the resize follows the input, not the example's size.
    images, masks = inputs(2, 44, 36)
    with torch.no_grad():
        expected = generator(torch.from_numpy(images), torch.from_numpy(masks)).numpy()
    np.testing.assert_allclose(OrtInserter(out, providers='cpu')(images, masks), expected,
                               atol=1e-4, rtol=0)


def test_failed_parity_writes_nothing(tmp_path):
    torch.manual_seed(0)
    generator = _BranchingGenerator(1, base_channels=8, num_blocks=1).eval()
    out = tmp_path / 'frozen.onnx'
    # The TorchScript tracer records the identity branch of the example input;
    # the file would be wrong for every real mask, so it must not be written.
    with pytest.raises(ValueError, match='parity failed on random 1x1x64x64.*nothing written'):
        export_generator(generator, out, exporter='torchscript')
    assert list(tmp_path.iterdir()) == []


def test_export_from_config_and_checkpoint(tmp_path, inputs):
    from mmdgan.synthesis.inserter import TorchInserter, load_generator

    ckpt = tmp_path / 'iter_1.pth'
    generator_x = make_tiny_generator(seed=1)
    generator_y = MaskedResnetGenerator(1, base_channels=8, num_blocks=1)
    state = {f'generator_x.{k}': v for k, v in generator_x.state_dict().items()}
    state.update({f'generator_y.{k}': v for k, v in generator_y.state_dict().items()})
    torch.save({'state_dict': state, 'meta': {}}, ckpt)

    out = tmp_path / 'inserter.onnx'
    export_onnx(str(TINY_CONFIG), str(ckpt), out, which='inserter')
    images, masks = inputs(2, 48, 40)
    torch_inserter = TorchInserter(load_generator(str(TINY_CONFIG), str(ckpt)))
    ort_inserter = OrtInserter(out)
    assert ort_inserter.in_channels == torch_inserter.in_channels == 1
    np.testing.assert_allclose(ort_inserter(images, masks), torch_inserter(images, masks),
                               atol=1e-4, rtol=0)

    remover = tmp_path / 'remover.onnx'
    export_onnx(str(TINY_CONFIG), 'none', remover, which='remover', exporter='torchscript')
    assert OrtInserter(remover).which == 'remover'


def test_export_bad_inputs(tmp_path):
    with pytest.raises(FileNotFoundError, match='checkpoint not found'):
        export_onnx(str(TINY_CONFIG), str(tmp_path / 'missing.pth'), tmp_path / 'x.onnx')
    with pytest.raises(FileNotFoundError, match='config not found'):
        export_onnx(str(tmp_path / 'missing.py'), None, tmp_path / 'x.onnx')
    with pytest.raises(ValueError, match='exporter must be one of'):
        export_generator(make_tiny_generator(), tmp_path / 'x.onnx', exporter='jit')
    assert not (tmp_path / 'x.onnx').exists()


def test_export_cli(tmp_path, capsys):
    main = load_cli('export_onnx').main
    out = tmp_path / 'cli.onnx'
    assert main([str(TINY_CONFIG), 'none', '--out', str(out), '--exporter', 'torchscript']) == 0
    assert 'max abs diff vs PyTorch' in capsys.readouterr().out
    assert onnx.load(str(out)).metadata_props[0].key.startswith(PREFIX)
    assert main([str(TINY_CONFIG), str(tmp_path / 'no.pth'), '--out', str(out)]) == 1
    assert 'output exists' in capsys.readouterr().err  # issue 34.2: --overwrite needed
    assert main([str(TINY_CONFIG), str(tmp_path / 'no.pth'), '--out', str(out),
                 '--overwrite']) == 1
    assert 'checkpoint not found' in capsys.readouterr().err


def test_export_gets_the_umask_permissions(tiny_generator, tmp_path):
    """Issue 13.8: ONNX files were written 0600 (a mkstemp side effect)."""
    import os
    import stat
    old = os.umask(0o022)
    try:
        export_generator(tiny_generator, tmp_path / 'g.onnx')
    finally:
        os.umask(old)
    assert stat.S_IMODE((tmp_path / 'g.onnx').stat().st_mode) == 0o644
    assert [p.name for p in tmp_path.iterdir()] == ['g.onnx']
