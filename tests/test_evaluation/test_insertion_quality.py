"""Fréchet distance of crops: known answers and the dataset-folder API."""
import json
import shutil

import numpy as np
import pytest
import torch

from mmdgan.evaluation.insertion_quality import (
    CropEmbedder,
    coco_crops,
    frechet_distance,
    insertion_quality,
)


@pytest.fixture(scope='module')
def embedder() -> CropEmbedder:
    return CropEmbedder(crop_size=64)


def test_frechet_distance_known_answers():
    rng = np.random.default_rng(0)
    feats = rng.standard_normal((200, 5))
    assert frechet_distance(feats, feats) == pytest.approx(0.0, abs=1e-8)
    shift = np.array([1.0, -2.0, 0.0, 0.5, 0.0])
    # Same covariance: the distance is the squared mean shift, exactly.
    assert frechet_distance(feats, feats + shift) == pytest.approx(float(shift @ shift), rel=1e-6)
    # Scaling by s: trace term is tr(S) (1 - s)^2.
    cov_trace = np.trace(np.cov(feats, rowvar=False))
    assert frechet_distance(feats, 3 * feats) == pytest.approx(
        9 * float(feats.mean(0) @ feats.mean(0)) * 4 / 9 + 4 * cov_trace, rel=1e-6)


def test_frechet_distance_singular_covariances_stay_finite():
    rng = np.random.default_rng(1)
    value = frechet_distance(rng.standard_normal((10, 50)), rng.standard_normal((12, 50)))
    assert np.isfinite(value) and value > 0


def test_frechet_distance_bad_inputs():
    with pytest.raises(ValueError, match='at least 2'):
        frechet_distance(np.zeros((1, 3)), np.zeros((5, 3)))
    with pytest.raises(ValueError, match='feature sizes differ'):
        frechet_distance(np.zeros((4, 3)), np.zeros((4, 2)))


def test_embedder_shapes_and_determinism(embedder):
    img = torch.rand(1, 40, 50) * 255
    boxes = torch.tensor([[5.0, 5.0, 20.0, 25.0], [30.0, 10.0, 45.0, 30.0]])
    feats = embedder([img, img], [boxes, boxes[:1]])
    assert feats.shape == (3, 320)
    np.testing.assert_allclose(feats[0], feats[2], atol=1e-6)
    assert not np.allclose(feats[0], feats[1])
    head = CropEmbedder(crop_size=64, feature='head')([img], [boxes])
    assert head.shape == (2, 1280)
    with pytest.raises(ValueError, match='feature must be one of'):
        CropEmbedder(feature='logits')


def _copy_as_synthetic(demo_data, tmp_path, sources):
    """A 'synthetic' folder holding Y train's own images and boxes."""
    coco = json.loads((demo_data / 'train.json').read_text())
    syn = tmp_path / 'syn'
    shutil.copytree(demo_data / 'images', syn / 'images')
    coco['info'] = dict(sources=sources(coco))
    (syn / 'train.json').write_text(json.dumps(coco))
    return syn / 'train.json'


def test_insertion_quality_reference_points(demo_data, tmp_path, embedder):
    clean = json.loads((demo_data / 'clean_train.json').read_text())['images']
    # Pretend each labelled image was made from a clean film: crops of the
    # real objects are then far closer to the real set than clean crops.
    syn = _copy_as_synthetic(demo_data, tmp_path, lambda coco: [
        clean[i % len(clean)]['file_name'] for i in range(len(coco['images']))])
    report = insertion_quality(demo_data / 'train.json', {'same': syn},
                               clean_reference=syn, clean_root=demo_data, embedder=embedder)
    assert report['same']['frechet'] == pytest.approx(0.0, abs=1e-3)
    assert report['clean']['frechet'] > 1.0
    counts = {report[k]['num_crops'] for k in ('same', 'clean', 'real')}
    assert len(counts) == 1


def test_clean_reference_needs_recorded_sources(demo_data, tmp_path, embedder):
    syn = _copy_as_synthetic(demo_data, tmp_path, lambda coco: [])
    with pytest.raises(ValueError, match='info.sources'):
        insertion_quality(demo_data / 'train.json', {}, clean_reference=syn, embedder=embedder)


def test_a_set_without_boxes_is_named(demo_data):
    with pytest.raises(ValueError, match='clean_train.json: no box to crop'):
        coco_crops(demo_data / 'clean_train.json')


def test_coco_crops_rescales_to_a_common_frame(demo_data):
    images, boxes = coco_crops(demo_data / 'train.json')
    small, small_boxes = coco_crops(demo_data / 'train.json', frame=48)
    assert max(small[0].shape[1:]) == 48
    np.testing.assert_allclose(small_boxes[0].numpy(),
                               boxes[0].numpy() * 48 / max(images[0].shape[1:]), rtol=1e-6)
