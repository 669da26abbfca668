"""The unrolled step's reward measured on finished sets: batches, controls, signs, the tool."""
import json
import shutil
from pathlib import Path

import cv2
import numpy as np
import pytest
import torch

from mmdgan.evaluation.unroll_gain import (
    class_labels,
    detector_batches,
    deterministic_pipeline,
    load_detection_images,
    training_pipeline,
    unroll_gain,
)
from mmdgan.registry import MODELS
from mmdgan.utils import load_config, register_all_modules
from tools.analysis_tools import unroll_gain as unroll_gain_tool

REPO = Path(__file__).resolve().parents[2]
CONFIG = str(REPO / 'configs/detector/retinanet_effnet-lite0_1xb4-300it_demo-128px.py')


@pytest.fixture(scope='module')
def detector_and_cfg():
    register_all_modules()
    cfg = load_config(CONFIG)
    torch.manual_seed(0)
    detector = MODELS.build(cfg.model)
    detector.init_weights()
    return detector.train(), cfg


def test_pipeline_and_classes(detector_and_cfg):
    _, cfg = detector_and_cfg
    pipeline = deterministic_pipeline(training_pipeline(cfg))
    assert [t['type'] for t in pipeline] == ['mmdet.LoadImageFromFile', 'mmdet.LoadAnnotations',
                                            'mmdet.Resize', 'mmdet.PackDetInputs']
    assert class_labels(cfg) == {'lesion': 0}
    with pytest.raises(ValueError, match='no LoadAnnotations'):
        deterministic_pipeline([dict(type='mmdet.LoadImageFromFile')])


def test_boxes_follow_the_image_they_are_put_on(demo_data, tmp_path):
    images = load_detection_images(demo_data / 'train.json', {'lesion': 0})
    coco = json.loads((demo_data / 'train.json').read_text())
    assert len(images) == sum(1 for i in coco['images']
                              if any(a['image_id'] == i['id'] for a in coco['annotations']))
    path, record = images[0]
    # The same boxes on an image twice the size (as a clean film at 512 px
    # under a synthetic set at 256 px) are scaled with it.
    big = tmp_path / 'big.png'
    img = cv2.imread(path, cv2.IMREAD_UNCHANGED)
    cv2.imwrite(str(big), cv2.resize(img, None, fx=2, fy=2))
    moved = load_detection_images(demo_data / 'train.json', {'lesion': 0},
                                  {r.file_name: str(big) for _, r in images})
    assert moved[0][0] == str(big) and moved[0][1].width == 2 * record.width
    np.testing.assert_allclose(np.asarray(moved[0][1].boxes)[:, :4],
                               2 * np.asarray(record.boxes)[:, :4])
    with pytest.raises(ValueError, match=r"train\.json: categories \['lesion'\] are not classes"):
        load_detection_images(demo_data / 'train.json', {'mass': 0})


def test_gain_signs_and_pairing(detector_and_cfg, demo_data):
    detector, cfg = detector_and_cfg
    pipeline = deterministic_pipeline(training_pipeline(cfg))
    images = load_detection_images(demo_data / 'train.json', {'lesion': 0})
    probe = detector_batches(detector, images[:4], pipeline, 2)
    assert len(probe) == 2 and probe[0][0].shape[:2] == (2, 3)
    # A step on the probe's own images lowers its loss at a small step
    # (first order: lr * |g|^2); the same set twice pairs to exactly zero.
    before = {k: v.clone() for k, v in detector.state_dict().items()}
    report = unroll_gain(detector, {'own': probe, 'twin': probe}, probe, [1e-4, 1e-3],
                         paired=['own', 'twin'])
    for lr in ('0.0001', '0.001'):
        own = report['by_lr'][lr]['sources']['own']
        assert own['n'] == 2 and own['mean'] > 0
        assert report['by_lr'][lr]['paired']['own - twin']['mean'] == 0
    small, large = (report['by_lr'][lr]['sources']['own']['mean'] for lr in ('0.0001', '0.001'))
    assert large > small  # still in the first-order regime
    assert all(torch.equal(v, detector.state_dict()[k]) for k, v in before.items())
    # An odd image count drops the partial batch rather than mixing sizes.
    assert len(detector_batches(detector, images[:5], pipeline, 2)) == 2
    with pytest.raises(ValueError, match="source 'empty' holds no full batch"):
        unroll_gain(detector, {'empty': []}, probe, [1e-3])


def test_tool_with_controls(demo_data, synthetic_copy, tmp_path, capsys):
    syn = synthetic_copy(lambda coco: [str(demo_data / 'images' / i['file_name'].split('/')[-1])
                                       for i in coco['images']])
    out = tmp_path / 'gain.json'
    report = unroll_gain_tool.main([CONFIG, 'none', str(demo_data / 'train.json'),
                                    f'copy={syn}', '--batches', '1', '--probe-batches', '1',
                                    '--batch-size', '2', '--inner-lr', '0.001', '0.0001',
                                    '--out', str(out)])
    saved = json.loads(out.read_text())
    assert saved['report']['by_lr'] == json.loads(json.dumps(report['by_lr']))
    entry = report['by_lr']['0.001']
    assert list(entry['sources']) == ['copy', 'clean', 'real']
    assert list(entry['paired']) == ['copy - clean']
    printed = capsys.readouterr().out
    assert '--- inner_lr 0.0001' in printed and 'paired copy - clean' in printed


def test_tool_errors(demo_data, tmp_path, capsys):
    base = [CONFIG, 'none', str(demo_data / 'train.json')]
    with pytest.raises(SystemExit):
        unroll_gain_tool.parse_args(base + ['clean=x.json'])
    assert "'clean' names a control" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        unroll_gain_tool.parse_args(base + ['--inner-lr', '0'])
    with pytest.raises(SystemExit):
        unroll_gain_tool.parse_args(base + ['--no-real'])
    assert 'nothing to score' in capsys.readouterr().err
    assert unroll_gain_tool.run_tool(unroll_gain_tool.main,
                                     base + ['--probe-batches', '50']) == 1
    assert 'the probe needs 200' in capsys.readouterr().err
    # An undecodable image: one line naming it, not mmcv's assertion.
    broken = tmp_path / 'broken'
    shutil.copytree(demo_data, broken)
    first = load_detection_images(broken / 'train.json', {'lesion': 0})[0][0]
    Path(first).write_bytes(b'not a png')
    assert unroll_gain_tool.run_tool(unroll_gain_tool.main, [
        CONFIG, 'none', str(broken / 'train.json'), '--batch-size', '2']) == 1
    assert f'{first}: not a readable image' in capsys.readouterr().err
    missing = tmp_path / 'gone'
    shutil.rmtree(missing, ignore_errors=True)
    assert unroll_gain_tool.run_tool(unroll_gain_tool.main,
                                     base[:2] + [str(missing / 'train.json')]) == 1
    assert 'not found' in capsys.readouterr().err
