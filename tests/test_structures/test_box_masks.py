"""One box-to-mask rule: training (data preprocessor) and synthesis draw the same masks."""
import math

import numpy as np
import pytest
import torch
from mmdet.structures import DetDataSample
from mmengine.config import Config
from mmengine.structures import InstanceData

from mmdgan.apis.synthesize import _gan_insert_fn
from mmdgan.deploy.inputs import box_masks
from mmdgan.models.data_preprocessors import UnpairedDataPreprocessor
from mmdgan.structures import (
    MASK_SHAPES,
    boxes_to_masks,
    mask_shape_from_config,
    rasterize_boxes,
)


def _random_boxes(rng, num, height, width):
    """Float boxes of all sizes, some sub-pixel, some crossing the image border."""
    x1 = rng.uniform(-3, width, num)
    y1 = rng.uniform(-3, height, num)
    side = np.exp(rng.uniform(np.log(0.1), np.log(width / 2), (2, num)))
    return np.stack([x1, y1, x1 + side[0], y1 + side[1]], 1).astype(np.float32)


class _RecordingInserter:
    """Stands in for G_X: records the masks synthesis hands it."""

    def __init__(self):
        self.masks = None

    def __call__(self, images, masks):
        self.masks = masks
        return images


@pytest.mark.parametrize('shape', MASK_SHAPES)
def test_training_and_synthesis_masks_are_identical(shape):
    rng = np.random.default_rng(0)
    h, w = 40, 56
    boxes = [_random_boxes(rng, k, h, w) for k in (1, 3, 5, 2)]
    samples = []
    for b in boxes:
        sample = DetDataSample()
        sample.gt_instances = InstanceData(bboxes=torch.from_numpy(b))
        samples.append(sample)
    imgs = [torch.zeros(1, h, w, dtype=torch.uint8)] * len(boxes)
    batch = dict(inputs=imgs, data_samples=samples)
    trained = UnpairedDataPreprocessor(mask_shape=shape)(
        dict(clean=batch, labelled=batch))['clean']['masks'].numpy()

    inserter = _RecordingInserter()
    _gan_insert_fn(inserter, shape)([np.zeros((h, w), np.uint8)] * len(boxes), boxes)
    np.testing.assert_array_equal(inserter.masks, trained)
    assert trained.sum() > 0


def test_box_rule_is_pixel_centres():
    # Columns 1..3 and rows 2..4 have their centres in [1.5, 4.2) x [2, 5).
    mask = rasterize_boxes([[1.5, 2.0, 4.2, 5.0]], 8, 8)
    assert mask[2:5, 1:4].all() and mask.sum() == 9
    # Integer boxes cover exactly their pixels.
    mask = rasterize_boxes([[2, 1, 6, 4]], 8, 8)
    assert mask[1:4, 2:6].all() and mask.sum() == 12


@pytest.mark.parametrize('size', [(40, 40), (64, 30)])
def test_ellipse_is_inscribed(size):
    bw, bh = size
    x1, y1 = 7, 5
    mask = rasterize_boxes([[x1, y1, x1 + bw, y1 + bh]], 80, 90, 'ellipse')
    box = rasterize_boxes([[x1, y1, x1 + bw, y1 + bh]], 80, 90, 'box')
    assert abs(mask.sum() / (bw * bh) - math.pi / 4) < 0.02
    assert (mask <= box).all()  # inside the box
    inner = mask[y1:y1 + bh, x1:x1 + bw]
    np.testing.assert_array_equal(inner, inner[::-1])  # symmetric about both axes
    np.testing.assert_array_equal(inner, inner[:, ::-1])
    # Touches the middle of each side, not the corners.
    assert inner[bh // 2, 0] and inner[bh // 2, -1] and inner[0, bw // 2] and inner[-1, bw // 2]
    assert not (inner[0, 0] or inner[0, -1] or inner[-1, 0] or inner[-1, -1])


def test_square_ellipse_is_a_disc_symmetric_under_transpose():
    mask = rasterize_boxes([[10.0, 10.0, 31.0, 31.0]], 48, 48, 'ellipse')
    np.testing.assert_array_equal(mask, mask.T)


@pytest.mark.parametrize('shape', MASK_SHAPES)
@pytest.mark.parametrize('box', [[3.2, 3.3, 3.4, 3.45],  # sub-pixel
                                 [0.9, 1.0, 1.1, 9.0],  # thinner than a pixel
                                 [4.0, 4.0, 5.0, 5.0],  # exactly one pixel
                                 [2.5, 6.0, 3.5, 7.0],  # one pixel wide, off the grid
                                 [5.0, 5.0, 5.0, 5.0],  # empty
                                 [11.6, 11.7, 12.0, 12.0],  # sub-pixel, in the corner
                                 [-10.0, -10.0, 1.0, 1.0]])  # mostly outside the image
def test_tiny_boxes_keep_a_pixel(shape, box):
    mask = rasterize_boxes([box], 12, 12, shape)
    assert mask.sum() >= 1
    assert (mask <= rasterize_boxes([box], 12, 12, 'box')).all()


def test_thin_ellipse_keeps_its_length():
    mask = rasterize_boxes([[2.0, 3.1, 22.0, 3.9]], 8, 30, 'ellipse')
    assert mask.sum() >= 15 and mask[3].sum() == mask.sum()
    # Centred on a pixel edge, the nearest pixel centres are half a pixel off.
    mask = rasterize_boxes([[0.9, 1.0, 1.1, 9.0]], 12, 12, 'ellipse')
    assert mask[:, 1].sum() >= 5 and mask.sum() == mask[:, 1].sum()


def test_boxes_outside_the_image_draw_nothing():
    assert rasterize_boxes([[20, 20, 30, 30]], 10, 10, 'ellipse').sum() == 0
    assert rasterize_boxes(np.zeros((0, 4)), 10, 10).sum() == 0


def test_batched_masks_and_deploy_inputs_use_the_rule():
    boxes = [torch.tensor([[1.5, 2.0, 9.2, 7.0]]), torch.zeros(0, 4)]
    masks = boxes_to_masks(boxes, (10, 12), 'ellipse')
    assert masks.shape == (2, 1, 10, 12) and masks[1].sum() == 0
    np.testing.assert_array_equal(masks[0, 0].numpy(),
                                  rasterize_boxes([[1.5, 2.0, 9.2, 7.0]], 10, 12, 'ellipse'))
    box, ellipse = (box_masks(np.random.default_rng(3), 4, 32, 32, shape=s)
                    for s in ('box', 'ellipse'))
    assert (ellipse <= box).all() and ellipse.sum() < box.sum()


def test_mask_shape_setting_is_checked():
    with pytest.raises(ValueError, match='UnpairedDataPreprocessor.mask_shape'):
        UnpairedDataPreprocessor(mask_shape='circle')
    with pytest.raises(ValueError, match='mask_shape'):
        rasterize_boxes([[0, 0, 1, 1]], 4, 4, 'disc')
    cfg = Config(dict(model=dict(data_preprocessor=dict(type='UnpairedDataPreprocessor'))))
    assert mask_shape_from_config(cfg) == 'box'
    cfg.model.data_preprocessor.mask_shape = 'ellipse'
    assert mask_shape_from_config(cfg) == 'ellipse'
    cfg.model.data_preprocessor.mask_shape = 'round'
    with pytest.raises(ValueError, match='model.data_preprocessor.mask_shape'):
        mask_shape_from_config(cfg)


def test_mini_mias_configs_train_on_ellipses():
    for name in ('dgan_retinanet-r18_1xb4-2k_mini-mias',
                 'dgan_retinanet-r18_nounroll_1xb4-2k_mini-mias',
                 'dgan_faster-rcnn-r18_1xb4-2k_mini-mias',
                 'dgan_retinanet-effnet-lite0_1xb4-2k_mini-mias',
                 'dgan_retinanet-effnet-lite0_nodet_1xb4-2k_mini-mias'):
        assert mask_shape_from_config(Config.fromfile(f'configs/{name}.py')) == 'ellipse'
