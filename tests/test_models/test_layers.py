import pytest
import torch
from mmcv.ops import DeformConv2d, RoIAlign

from mmdgan.models.layers import (
    PureRoIAlign,
    boxes_to_rois,
    crop_and_resize,
    make_twice_differentiable,
    roi_align,
)
from mmdgan.models.losses import PureSigmoidFocalLoss


def _rois(num_imgs: int, height: int, width: int, scale: float, dtype=torch.float32):
    """Random RoIs in the input frame plus edge cases: out of bounds, tiny,
    empty boxes, boxes straddling the border (mmcv rejects inverted ones)."""
    gen = torch.Generator().manual_seed(0)
    h_in, w_in = height / scale, width / scale
    xy = torch.rand(40, 2, generator=gen) * torch.tensor([w_in, h_in]) * 1.2 - 4
    wh = torch.rand(40, 2, generator=gen) * torch.tensor([w_in, h_in]) * 0.8 + 0.3
    boxes = torch.cat([xy, xy + wh], 1)
    special = torch.tensor([[-30.0, -30.0, -10.0, -12.0], [w_in + 5, 2, w_in + 20, 9],
                            [3.0, 4.0, 3.0, 4.0], [2.0, 2.0, 2.4, 2.3],
                            [-2.0, -3.0, w_in + 2, h_in + 3], [0.0, 0.0, w_in, h_in]])
    boxes = torch.cat([boxes, special])
    idx = torch.randint(0, num_imgs, (len(boxes), 1), generator=gen).float()
    return torch.cat([idx, boxes], 1).to(dtype)


@pytest.mark.parametrize('aligned', [True, False])
@pytest.mark.parametrize('sampling_ratio', [0, 2])
@pytest.mark.parametrize('scale,output_size', [(1.0, 7), (0.25, (3, 5))])
def test_roi_align_matches_mmcv(aligned, sampling_ratio, scale, output_size):
    feats = torch.randn(2, 3, 13, 17, generator=torch.Generator().manual_seed(1))
    rois = _rois(2, 13, 17, scale)
    mmcv_layer = RoIAlign(output_size, scale, sampling_ratio, aligned=aligned)
    ours_layer = PureRoIAlign(output_size, scale, sampling_ratio, aligned=aligned)
    feats_a = feats.clone().requires_grad_()
    feats_b = feats.clone().requires_grad_()
    expected, actual = mmcv_layer(feats_a, rois), ours_layer(feats_b, rois)
    torch.testing.assert_close(actual, expected, atol=1e-5, rtol=1e-5)
    weights = torch.randn_like(expected)
    (expected * weights).sum().backward()
    (actual * weights).sum().backward()
    torch.testing.assert_close(feats_b.grad, feats_a.grad, atol=1e-5, rtol=1e-5)


def test_mmcv_roi_align_is_once_differentiable_ours_is_not():
    feats = torch.randn(1, 2, 9, 9, requires_grad=True)
    rois = torch.tensor([[0, 1.0, 1.5, 7.0, 6.0]])
    (grad, ) = torch.autograd.grad(RoIAlign(4, 1.0, 0)(feats, rois).pow(2).sum(), feats,
                                   create_graph=True)
    # Why PureRoIAlign exists: the exact unroll needs this second derivative.
    with pytest.raises(RuntimeError, match='once_differentiable'):
        grad.pow(2).sum().backward()

    feats64 = feats.detach().double().requires_grad_()
    assert torch.autograd.gradgradcheck(
        lambda f: PureRoIAlign(4, 1.0, 0)(f, rois.double()).pow(2), (feats64, ))


def test_roi_align_no_gradient_to_rois_and_empty():
    feats = torch.randn(1, 2, 8, 8)
    rois = torch.tensor([[0, 1.0, 1.0, 6.0, 6.0]], requires_grad=True)
    out = roi_align(feats.requires_grad_(), rois, 2)
    out.sum().backward()
    assert rois.grad is None  # as with mmcv: boxes are targets, not features
    assert roi_align(feats, torch.zeros(0, 5), 3).shape == (0, 2, 3, 3)


def test_roi_align_errors():
    feats = torch.zeros(1, 2, 8, 8)
    with pytest.raises(ValueError, match='rois must be'):
        roi_align(feats, torch.zeros(3, 4), 2)
    with pytest.raises(ValueError, match='batch index 1'):
        roi_align(feats, torch.tensor([[1, 0.0, 0.0, 4.0, 4.0]]), 2)
    with pytest.raises(ValueError, match='output_size'):
        roi_align(feats, torch.zeros(1, 5), 0)
    with pytest.raises(ValueError, match="pool_mode='avg'"):
        PureRoIAlign(7, pool_mode='max')


def test_crop_and_resize_identity_and_boxes_to_rois():
    img = torch.randn(2, 3, 12, 10)
    full = [torch.tensor([[0.0, 0.0, 10.0, 12.0]]), torch.tensor([[0.0, 0.0, 10.0, 12.0]])]
    torch.testing.assert_close(crop_and_resize(img, full, (12, 10)), img)
    rois = boxes_to_rois([torch.tensor([[1.0, 2, 3, 4]]), torch.zeros(0, 4),
                          torch.tensor([[5.0, 6, 7, 8], [1.0, 1, 2, 2]])])
    assert rois[:, 0].tolist() == [0, 2, 2]
    with pytest.raises(ValueError, match='context'):
        crop_and_resize(img, full, 4, context=-0.1)


def test_pure_roi_align_in_single_roi_extractor():
    from mmdet.models.roi_heads.roi_extractors import SingleRoIExtractor

    feats = [torch.randn(1, 4, 16, 16), torch.randn(1, 4, 8, 8)]
    rois = torch.tensor([[0, 2.0, 3.0, 20.0, 30.0], [0, 4.0, 1.0, 60.0, 50.0]])
    kwargs = dict(out_channels=4, featmap_strides=[4, 8])
    mmcv_ext = SingleRoIExtractor(roi_layer=dict(type='RoIAlign', output_size=5), **kwargs)
    ours_ext = SingleRoIExtractor(roi_layer=dict(type=PureRoIAlign, output_size=5), **kwargs)
    assert isinstance(ours_ext.roi_layers[1], PureRoIAlign)
    torch.testing.assert_close(ours_ext(feats, rois), mmcv_ext(feats, rois), atol=1e-5,
                               rtol=1e-5)


@pytest.mark.parametrize('name,replaced_type', [('faster_rcnn', PureRoIAlign),
                                                ('retinanet', PureSigmoidFocalLoss)])
def test_make_twice_differentiable_keeps_losses(tiny_detector, det_samples, name,
                                                replaced_type):
    detector = tiny_detector(name)
    inputs = torch.randn(2, 3, 64, 64, generator=torch.Generator().manual_seed(0))
    samples = det_samples([[[10, 12, 40, 44]], [[20, 8, 50, 30], [4, 40, 24, 60]]], 64)
    torch.manual_seed(0)
    before = detector(inputs, samples, mode='loss')
    report = make_twice_differentiable(detector)
    assert report['replaced'] and not report['unsupported']
    assert not any(type(m) is RoIAlign for m in detector.modules())
    assert all(isinstance(detector.get_submodule(n), replaced_type) for n in report['replaced'])
    assert make_twice_differentiable(detector)['replaced'] == []  # idempotent
    torch.manual_seed(0)
    after = detector(inputs, samples, mode='loss')
    assert before.keys() == after.keys()
    for key in before:
        torch.testing.assert_close(after[key], before[key], atol=1e-5, rtol=1e-4)


def test_make_twice_differentiable_rejects_deformable_conv():
    model = torch.nn.Sequential(torch.nn.Conv2d(2, 2, 1), DeformConv2d(2, 2, 3, padding=1))
    with pytest.raises(ValueError, match='finite-difference unroll: 1$'):
        make_twice_differentiable(model)
    report = make_twice_differentiable(model, strict=False)
    assert report == dict(replaced=[], unsupported=['1'])
