"""browse_dataset: the clean image with its sampled boxes beside a labelled image with its boxes."""
from pathlib import Path

import cv2
import numpy as np
import pytest

from mmdgan.utils import load_config
from mmdgan.visualization import browse_dataset
from mmdgan.visualization.browser import CAPTION_HEIGHT, _rgb, draw_sample
from tools.analysis_tools.browse_dataset import main

REPO = Path(__file__).resolve().parents[2]
UNPAIRED = str(REPO / 'configs/dgan_retinanet-r18_1xb2-20it_demo.py')
DETECTION = str(REPO / 'configs/detector/retinanet_r18_1xb4-1500it_demo.py')
#: The configs' training scale (their mmdet.Resize).
SIDE = 256


def _config(path, data_root):
    return load_config(path, {'train_dataloader.dataset.data_root': f'{data_root}/'})


def _box_edge_changed(drawn: np.ndarray, packed: dict, left: int) -> bool:
    """Whether the pixels on every box's top edge differ from the image's own."""
    image = _rgb(packed['inputs'])
    for x1, y1, x2, _ in packed['data_samples'].gt_instances.bboxes.tensor.round().int().tolist():
        x1, x2 = max(x1, 0), min(x2, image.shape[1] - 1)
        y = min(max(y1, 0), image.shape[0] - 1)
        row = drawn[CAPTION_HEIGHT + y, left + x1:left + x2]
        if np.array_equal(row, image[y, x1:x2]):
            return False
    return True


def test_pairs_show_clean_with_sampled_boxes_beside_labelled(demo_data):
    from mmdgan.registry import DATASETS, VISUALIZERS
    from mmdgan.utils import mmdgan_scope

    cfg = _config(UNPAIRED, demo_data)
    with mmdgan_scope():
        dataset = DATASETS.build(cfg.train_dataloader.dataset)
        visualizer = VISUALIZERS.build(dict(cfg.visualizer, name='test_browser',
                                            vis_backends=None))
    visualizer.dataset_meta = dataset.metainfo
    item = dataset[0]
    name, drawn = draw_sample(visualizer, item)
    clean, labelled = item['clean'], item['labelled']
    assert len(clean['data_samples'].gt_instances) >= 1  # the sampled insertion boxes
    assert name.startswith(Path(clean['data_samples'].img_path).stem)
    assert name.endswith(Path(labelled['data_samples'].img_path).stem)
    assert drawn.shape == (CAPTION_HEIGHT + SIDE, 2 * SIDE + 4, 3)
    assert _box_edge_changed(drawn, clean, left=0)
    assert _box_edge_changed(drawn, labelled, left=SIDE + 4)


def test_browse_repeats_with_the_seed_and_stops_at_num(demo_data):
    cfg = _config(UNPAIRED, demo_data)
    first = list(browse_dataset(cfg, num=2, seed=3))
    again = list(browse_dataset(cfg, num=2, seed=3))
    assert [i for i, _, _ in first] == [0, 1]
    assert all(np.array_equal(a[2], b[2]) for a, b in zip(first, again))
    with pytest.raises(ValueError, match='num must be >= 1'):
        next(browse_dataset(cfg, num=0))


def test_a_plain_detection_set_is_drawn_image_by_image(demo_data):
    (index, name, drawn), = browse_dataset(_config(DETECTION, demo_data), num=1)
    assert index == 0 and name.startswith('train_')
    assert drawn.shape == (CAPTION_HEIGHT + SIDE, SIDE, 3)


def test_tool_writes_one_png_per_sample(demo_data, tmp_path, capsys):
    out = tmp_path / 'browse'
    written = main([UNPAIRED, '--output-dir', str(out), '--not-show', '--num', '2',
                    '--cfg-options', f'train_dataloader.dataset.data_root={demo_data}/'])
    assert sorted(p.name[:6] for p in out.iterdir()) == ['00000_', '00001_'] == \
        sorted(p.name[:6] for p in written)
    assert cv2.imread(str(written[0])).shape == (CAPTION_HEIGHT + SIDE, 2 * SIDE + 4, 3)
    assert '2 image(s) written' in capsys.readouterr().out


def test_tool_refuses_to_do_nothing(capsys):
    with pytest.raises(SystemExit):
        main([UNPAIRED, '--not-show'])
    assert '--not-show without --output-dir' in capsys.readouterr().err
