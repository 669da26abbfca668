"""The detector inside a DetectorGAN config is the downstream detector of the same data.

Every RetinaNet DetectorGAN config mirrors the downstream detector config with the
same backbone, data folder and training scale; their anchors must agree, since the
anchors are sized to the lesions at that scale (the 128 px configs halve them with
the image). A DetectorGAN whose in-loop detector anchors differ rewards insertions
for a detector the experiment never trains.
"""
import functools
from pathlib import Path
from typing import Dict, Optional, Tuple

import pytest
from mmengine.config import Config

REPO = Path(__file__).resolve().parents[2]
CONFIGS = REPO / 'configs'


def _scale(pipeline) -> Optional[Tuple[int, int]]:
    """The ``mmdet.Resize`` scale of a pipeline (``None`` if it has none)."""
    for t in pipeline:
        if t['type'] == 'mmdet.Resize':
            return tuple(t['scale'])
    return None


def _key(detector: dict, data_root: str, scale) -> tuple:
    return detector['backbone']['type'], data_root, scale


@functools.lru_cache(maxsize=1)
def _downstream() -> Dict[tuple, Tuple[str, dict]]:
    """``(backbone, data_root, scale) -> (config, anchor_generator)`` of the real-only detectors."""
    found = {}
    for path in sorted((CONFIGS / 'detector').glob('retinanet_*.py')):
        cfg = Config.fromfile(str(path))
        dataset = cfg.train_dataloader.dataset
        if dataset.get('type') == 'ConcatDataset':  # the real-syn variants: same model
            continue
        key = _key(cfg.model, dataset.data_root, _scale(dataset.pipeline))
        anchors = cfg.model.bbox_head.anchor_generator.to_dict()
        if key in found and found[key][1] != anchors:
            raise AssertionError(f'{path.name} and {found[key][0]} train the same detector on '
                                 f'the same data at the same scale with other anchors')
        found.setdefault(key, (path.name, anchors))
    return found


DGAN_RETINANET = sorted(
    p.name for p in CONFIGS.glob('dgan_retinanet-*.py') if not p.stem.endswith('_custom'))


def test_every_downstream_scale_is_covered():
    scales = {key[2] for key in _downstream()}
    assert {(256, 256), (128, 128)} <= scales


@pytest.mark.parametrize('config', DGAN_RETINANET)
def test_in_loop_anchors_equal_the_downstream_detector(config):
    cfg = Config.fromfile(str(CONFIGS / config))
    dataset = cfg.train_dataloader.dataset
    scale = _scale(dataset.clean_pipeline)
    assert scale == _scale(dataset.labelled_pipeline), f'{config}: X and Y at other scales'
    key = _key(cfg.model.detector, dataset.data_root, scale)
    downstream = _downstream()
    assert key in downstream, f'{config}: no downstream detector config for {key}'
    name, anchors = downstream[key]
    assert cfg.model.detector.bbox_head.anchor_generator.to_dict() == anchors, (
        f'{config}: the in-loop anchors differ from those of detector/{name}')
