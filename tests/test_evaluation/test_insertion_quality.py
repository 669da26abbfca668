"""Kernel and Fréchet distances of crops: known answers and the dataset-folder API."""
import json
from pathlib import Path

import numpy as np
import pytest
import torch

from mmdgan.evaluation.insertion_quality import (
    CropEmbedder,
    coco_crops,
    frechet_distance,
    insertion_quality,
    kernel_distance,
    kernel_distance_se,
)


@pytest.fixture(scope='module')
def embedder() -> CropEmbedder:
    return CropEmbedder(crop_size=64)


def test_kernel_distance_standard_error_matches_repeated_draws():
    """The jackknife error is what independent draws of the same sizes scatter by."""
    rng = np.random.default_rng(0)
    values, errors = [], []
    for _ in range(200):
        real = rng.standard_normal((40, 8))
        other = rng.standard_normal((70, 8))
        other[:, 0] += 0.7
        values.append(kernel_distance(real, other))
        errors.append(kernel_distance_se(real, other))
    assert np.mean(errors) == pytest.approx(np.std(values), rel=0.2)
    # Ten times the crops, about a third of the error.
    big = kernel_distance_se(rng.standard_normal((400, 8)), rng.standard_normal((700, 8)) + 0.1)
    assert big < np.mean(errors) / 2.5
    with pytest.raises(ValueError, match='at least 3 feature vectors'):
        kernel_distance_se(np.zeros((2, 8)), np.zeros((5, 8)))


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


def test_kernel_distance_known_answers():
    rng = np.random.default_rng(0)
    a, b = rng.standard_normal((3, 4)), rng.standard_normal((2, 4))
    # The estimator written out by hand for 3 + 2 samples.
    k = lambda x, y: (x @ y / 4 + 1) ** 3  # noqa: E731
    within_a = sum(k(a[i], a[j]) for i in range(3) for j in range(3) if i != j) / 6
    within_b = 2 * k(b[0], b[1]) / 2
    across = sum(k(x, y) for x in a for y in b) / 6
    assert kernel_distance(a, b) == pytest.approx(within_a + within_b - 2 * across, rel=1e-12)
    assert kernel_distance(a, b) == pytest.approx(kernel_distance(b, a), rel=1e-12)


def test_kernel_distance_is_unbiased_where_frechet_is_not():
    """Two samples of one distribution: the kernel distance averages to zero at
    small set sizes, the Fréchet distance stays far above it (its bias)."""
    rng = np.random.default_rng(2)
    draws = [(rng.standard_normal((30, 40)), rng.standard_normal((30, 40))) for _ in range(200)]
    kernel = np.array([kernel_distance(a, b) for a, b in draws])
    assert abs(kernel.mean()) < 3 * kernel.std() / np.sqrt(len(kernel))
    assert (kernel < 0).any()  # unbiased: no floor at zero
    assert np.mean([frechet_distance(a, b) for a, b in draws[:20]]) > 10
    # A shifted distribution stands clear of the noise.
    shifted = kernel_distance(draws[0][0], draws[0][1] + 0.5)
    assert shifted > kernel.mean() + 5 * kernel.std()


def test_kernel_distance_bad_inputs():
    with pytest.raises(ValueError, match='second set'):
        kernel_distance(np.zeros((3, 2)), np.zeros((1, 2)))
    with pytest.raises(ValueError, match='feature sizes differ'):
        kernel_distance(np.zeros((4, 3)), np.zeros((4, 2)))


def test_embedder_shapes_and_determinism(embedder):
    img = torch.rand(1, 40, 50) * 255
    boxes = torch.tensor([[5.0, 5.0, 20.0, 25.0], [30.0, 10.0, 45.0, 30.0]])
    feats = embedder([img, img], [boxes, boxes[:1]])
    assert feats.shape == (3, 1280)
    np.testing.assert_allclose(feats[0], feats[2], atol=1e-6)
    assert not np.allclose(feats[0], feats[1])
    last_stage = CropEmbedder(crop_size=64, feature='last_stage')([img], [boxes])
    assert last_stage.shape == (2, 320)
    with pytest.raises(ValueError, match='feature must be one of'):
        CropEmbedder(feature='logits')


def _from_clean_films(demo_data):
    """Pretend each labelled image was made from a clean film: crops of the
    real objects are then far closer to the real set than clean crops."""
    clean = json.loads((demo_data / 'clean_train.json').read_text())['images']
    return lambda coco: [clean[i % len(clean)]['file_name'] for i in range(len(coco['images']))]


def test_insertion_quality_reference_points(demo_data, synthetic_copy, embedder):
    syn = synthetic_copy(_from_clean_films(demo_data))
    report = insertion_quality(demo_data / 'train.json', {'same': syn},
                               clean_reference=syn, clean_root=demo_data, embedder=embedder)
    assert report['same']['frechet'] == pytest.approx(0.0, abs=1e-3)
    assert report['clean']['frechet'] > 1.0
    # Identical sets: the unbiased estimate is 2 (1'K1 - n tr K) / (n^2 (n - 1)),
    # never positive for a positive semi-definite kernel; clean crops lie above.
    assert report['same']['kernel'] <= 0 < report['clean']['kernel']
    counts = {report[k]['num_crops'] for k in ('same', 'clean', 'real')}
    assert len(counts) == 1


def test_clean_reference_needs_recorded_sources(demo_data, synthetic_copy, embedder):
    syn = synthetic_copy(lambda coco: [])
    with pytest.raises(ValueError, match='info.sources'):
        insertion_quality(demo_data / 'train.json', {}, clean_reference=syn, embedder=embedder)


def test_a_set_without_boxes_is_named(demo_data):
    with pytest.raises(ValueError, match='clean_train.json: no box to crop'):
        coco_crops(demo_data / 'clean_train.json')


def test_coco_crops_rescales_to_a_common_frame(demo_data):
    images, boxes = coco_crops(demo_data / 'train.json')
    small, small_boxes = coco_crops(demo_data / 'train.json', frame=48)
    few, _ = coco_crops(demo_data / 'train.json', max_images=2)
    assert len(few) == 2 and torch.equal(few[1], images[1])
    assert max(small[0].shape[1:]) == 48
    np.testing.assert_allclose(small_boxes[0].numpy(),
                               boxes[0].numpy() * 48 / max(images[0].shape[1:]), rtol=1e-6)


def test_cli_prints_and_writes_both_distances(demo_data, synthetic_copy, tmp_path, capsys):
    from tests.test_tools.test_tool_errors import _tool
    syn = synthetic_copy(_from_clean_films(demo_data))
    out = tmp_path / 'quality.json'
    report = _tool('tools/analysis_tools/insertion_quality.py').main(
        [str(demo_data / 'train.json'), f'same={syn}', '--clean-reference', str(syn),
         '--clean-root', str(demo_data), '--crop-size', '32', '--out', str(out)])
    written = json.loads(out.read_text())
    assert written['report'] == report and written['settings']['feature'] == 'head'
    printed = capsys.readouterr().out.splitlines()
    assert 'kernel distance x1e3' in printed[0]
    clean_row = next(line.split() for line in printed if line.startswith('clean '))
    assert float(clean_row[1]) == pytest.approx(1e3 * report['clean']['kernel'], abs=0.01)


@pytest.mark.skipif(not torch.cuda.is_available(), reason='needs CUDA')
def test_embedder_takes_gpu_images_and_boxes(embedder):
    """InsertionQualityHook hands over G_X's output and boxes from a CUDA run
    (found on an H200: grid_sample saw CUDA boxes and CPU images)."""
    img = torch.rand(1, 40, 50) * 255
    boxes = torch.tensor([[5.0, 5.0, 20.0, 25.0]])
    on_cpu = embedder([img], [boxes])
    on_gpu = embedder([img.cuda()], [boxes.cuda()])
    np.testing.assert_allclose(on_gpu, on_cpu, atol=1e-5)


def _colour_copy(colour_data, tmp_path, swap: bool) -> Path:
    """A 'synthetic' set of the colour demo's own labelled images and boxes, made
    "from" its clean images; ``swap`` gives every box the other class."""
    import shutil
    coco = json.loads((colour_data / 'train.json').read_text())
    clean = json.loads((colour_data / 'clean_train.json').read_text())['images']
    coco['info'] = dict(sources=[clean[i % len(clean)]['file_name']
                                 for i in range(len(coco['images']))])
    if swap:
        for ann in coco['annotations']:
            ann['category_id'] = 3 - ann['category_id']
    out = tmp_path / f'syn_{swap}'
    shutil.copytree(colour_data / 'images', out / 'images')
    (out / 'train.json').write_text(json.dumps(coco))
    return out / 'train.json'


def test_several_classes_are_scored_per_class(colour_data, tmp_path, capsys):
    """Real crops under the wrong class names: overall the same crops as the
    real set, per class far from it; the table and the json say so."""
    from tests.test_tools.test_tool_errors import _tool
    same, swapped = _colour_copy(colour_data, tmp_path, False), \
        _colour_copy(colour_data, tmp_path, True)
    out = tmp_path / 'quality.json'
    report = _tool('tools/analysis_tools/insertion_quality.py').main(
        [str(colour_data / 'train.json'), f'same={same}', f'swapped={swapped}',
         '--clean-reference', str(same), '--clean-root', str(colour_data), '--crop-size', '32',
         '--out', str(out)])
    assert json.loads(out.read_text())['report'] == json.loads(json.dumps(report))
    assert report['same']['kernel'] == pytest.approx(report['swapped']['kernel'])
    classes = list(report['real']['per_class'])
    assert classes == ['disc', 'square']  # the real file's category order
    for cls in classes:
        same_row, swapped_row = report['same']['per_class'][cls], \
            report['swapped']['per_class'][cls]
        assert same_row['kernel'] <= 0 < swapped_row['kernel']
        assert swapped_row['ratio_to_clean'] == pytest.approx(
            swapped_row['kernel'] / report['clean']['per_class'][cls]['kernel'])
        assert same_row['real_crops'] == report['real']['per_class'][cls]['num_crops']
    assert report['same']['ratio_to_clean'] == pytest.approx(
        report['same']['kernel'] / report['clean']['kernel'])
    printed = capsys.readouterr().out
    row = next(line for line in printed.splitlines() if line.startswith('swapped / disc'))
    assert float(row.split()[3]) == pytest.approx(
        1e3 * report['swapped']['per_class']['disc']['kernel'], abs=0.01)


def test_a_class_with_too_few_crops_has_no_estimate():
    from mmdgan.evaluation.insertion_quality import per_class_distances
    rng = np.random.default_rng(0)
    rows = per_class_distances(rng.normal(size=(6, 4)), ['a'] * 5 + ['b'],
                               rng.normal(size=(4, 4)), ['a'] * 3 + ['c'])
    assert rows['a']['kernel'] is not None and 'kernel_se' in rows['a']
    assert rows['b'] == dict(kernel=None, num_crops=0, real_crops=1)
    assert rows['c'] == dict(kernel=None, num_crops=1, real_crops=0)
