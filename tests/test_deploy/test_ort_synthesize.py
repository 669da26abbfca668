"""ONNX Runtime synthesis writes the same dataset as the PyTorch backend."""
import json

import cv2
import numpy as np
import pytest
import torch
from deploy_helpers import REPO, load_cli
from mmengine.config import Config

from mmdgan.apis.inserter import load_generator
from mmdgan.apis.synthesize import synthesize
from mmdgan.deploy import export_onnx

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
