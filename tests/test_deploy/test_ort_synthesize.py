"""ONNX Runtime synthesis writes the same dataset as the PyTorch backend."""
import json

import cv2
import numpy as np
import pytest
import torch
from deploy_helpers import REPO, load_cli, make_tiny_generator
from mmengine.config import Config

from mmdgan.apis.synthesize import synthesize
from mmdgan.deploy import export_generator, export_onnx
from mmdgan.synthesis.inserter import load_generator

GAN_CONFIG = REPO / 'configs' / 'dgan_retinanet-r18_1xb2-20it_demo.py'
LOCAL_CROP_CONFIG = REPO / 'configs' / 'dgan_retinanet-r18_local-crop_1xb2-20it_demo.py'


@pytest.mark.parametrize('config', [GAN_CONFIG, LOCAL_CROP_CONFIG], ids=['full', 'local-crop'])
def test_ort_synthesis_matches_pytorch(demo_data, tmp_path, config):
    cfg = Config.fromfile(str(config))
    cfg.train_dataloader.dataset.data_root = str(demo_data)
    torch.manual_seed(0)
    generator = load_generator(cfg, None)
    ckpt = tmp_path / 'dgan.pth'
    torch.save({'state_dict': {f'generator_x.{k}': v
                               for k, v in generator.state_dict().items()}}, ckpt)
    onnx_path = tmp_path / 'inserter.onnx'
    export_onnx(cfg, str(ckpt), onnx_path)

    clean = str(demo_data / 'clean_train.json')
    synthesize(cfg, str(ckpt), clean, num=3, out_dir=str(tmp_path / 'torch'), seed=5,
               batch_size=2, progress=False)
    main = load_cli('ort_synthesize').main
    assert main([str(config), str(onnx_path), '--clean', clean, '--num', '3',
                 '--out', str(tmp_path / 'ort'), '--seed', '5', '--batch-size', '2',
                 '--cfg-options', f'train_dataloader.dataset.data_root={demo_data}']) == 0

    ref = json.loads((tmp_path / 'torch' / 'train.json').read_text())
    got = json.loads((tmp_path / 'ort' / 'train.json').read_text())
    assert got['info']['backend'] == 'onnxruntime'
    assert got['annotations'] == ref['annotations'] and got['categories'] == ref['categories']
    assert [i['file_name'] for i in got['images']] == [i['file_name'] for i in ref['images']]
    for info in ref['images']:
        a = cv2.imread(str(tmp_path / 'torch' / info['file_name']), cv2.IMREAD_UNCHANGED)
        b = cv2.imread(str(tmp_path / 'ort' / info['file_name']), cv2.IMREAD_UNCHANGED)
        # 1e-4 in GAN range can flip a rounding: at most one grey level.
        assert a.shape == b.shape
        assert np.abs(a.astype(int) - b.astype(int)).max() <= 1


def test_a_remover_export_is_refused(tiny_generator, demo_data, tmp_path):
    """Issue 13.1: G_Y's export has the inserter's signature; synthesis must refuse it."""
    remover = tmp_path / 'remover.onnx'
    export_generator(tiny_generator, remover, which='remover')
    main = load_cli('ort_synthesize').main
    argv = [str(GAN_CONFIG), str(remover), '--clean', str(demo_data / 'clean_train.json'),
            '--num', '2', '--out', str(tmp_path / 'syn'),
            '--cfg-options', f'train_dataloader.dataset.data_root={demo_data}']
    assert main(argv) == 1
    cfg = Config.fromfile(str(GAN_CONFIG))
    cfg.train_dataloader.dataset.data_root = str(demo_data)
    with pytest.raises(ValueError, match=r"remover.onnx: metadata mmdgan.which='remover'"):
        synthesize(cfg, None, str(demo_data / 'clean_train.json'), 2, str(tmp_path / 'syn'),
                   backend='onnxruntime', onnx_model=str(remover), progress=False)
    # An inserter for other images than the config's generator is refused too.
    rgb = tmp_path / 'rgb.onnx'
    export_generator(make_tiny_generator(in_channels=3), rgb)
    with pytest.raises(ValueError, match=r'image_channels=3, .*generator_x takes 1'):
        synthesize(cfg, None, str(demo_data / 'clean_train.json'), 2, str(tmp_path / 'syn'),
                   backend='onnxruntime', onnx_model=str(rgb), progress=False)
    assert sorted(p.name for p in tmp_path.iterdir()) == ['remover.onnx', 'rgb.onnx']


def test_ort_synthesis_draws_the_exported_mask_shape(demo_data, tmp_path):
    from mmdgan.deploy import OrtInserter

    cfg = Config.fromfile(str(GAN_CONFIG))
    cfg.train_dataloader.dataset.data_root = str(demo_data)
    cfg.model.data_preprocessor.mask_shape = 'ellipse'
    onnx_path = tmp_path / 'inserter.onnx'
    export_onnx(cfg, None, onnx_path)
    assert OrtInserter(onnx_path).mask_shape == 'ellipse'
    clean = str(demo_data / 'clean_train.json')
    synthesize(cfg, None, clean, num=1, out_dir=str(tmp_path / 'ort'), backend='onnxruntime',
               onnx_model=str(onnx_path), progress=False)
    info = json.loads((tmp_path / 'ort' / 'train.json').read_text())['info']
    assert info['mask_shape'] == 'ellipse'
    # A config that trains on box masks cannot use an inserter exported for ellipses.
    cfg.model.data_preprocessor.mask_shape = 'box'
    with pytest.raises(ValueError, match="exported for mask_shape='ellipse'.*'box'"):
        synthesize(cfg, None, clean, num=1, out_dir=str(tmp_path / 'mixed'),
                   backend='onnxruntime', onnx_model=str(onnx_path), progress=False)
    assert not (tmp_path / 'mixed').exists()
