"""LocalCropInserter: windows around boxes, exact outside, borders, box counts, gradients."""
import pytest
import torch

from mmdgan.models.data_preprocessors.unpaired_data_preprocessor import boxes_to_masks
from mmdgan.models.generators import LocalCropInserter
from mmdgan.models.layers import context_windows

GEN = dict(type='MaskedResnetGenerator', in_channels=1, base_channels=4, num_blocks=1,
           num_downsamples=1, composite='feather', feather_radius=2)


def _inserter(**kwargs) -> LocalCropInserter:
    torch.manual_seed(0)
    inserter = LocalCropInserter(GEN, **{**dict(crop_size=16, context=2.0, min_window=8),
                                         **kwargs})
    for module in inserter.modules():
        if isinstance(module, torch.nn.Conv2d):
            # Large weights: every generated pixel differs from the input.
            torch.nn.init.normal_(module.weight, 0, 0.5)
    return inserter


def _window_mask(windows, shape) -> torch.Tensor:
    """1 on every pixel of some window (clipped to the image)."""
    inside = torch.zeros(shape[0], 1, *shape[2:], dtype=torch.bool)
    for index, x0, y0, side, _ in windows:
        inside[index, 0, max(y0, 0):y0 + side, max(x0, 0):x0 + side] = True
    return inside


def _run(inserter, boxes, size=(40, 48)):
    img = torch.rand(len(boxes), 1, *size) * 2 - 1
    boxes = [torch.tensor(b, dtype=torch.float32).reshape(-1, 4) for b in boxes]
    mask = boxes_to_masks(boxes, size)
    return img, mask, boxes, inserter(img, mask, boxes)


def test_outside_the_windows_is_bit_identical_and_every_box_is_edited():
    inserter = _inserter()
    # Image 0: two boxes (one at the top-left corner, one at the right
    # border); image 1: none; image 2: one box in the middle.
    img, mask, boxes, out = _run(inserter, [[[0, 0, 6, 5], [40, 10, 48, 22]], [],
                                            [[18, 15, 25, 24]]])
    windows = inserter.windows(boxes)
    assert [w[0] for w in windows] == [0, 0, 2]
    outside = ~_window_mask(windows, img.shape)
    assert torch.equal(out[outside], img[outside])
    assert torch.equal(out[1], img[1])
    for index, img_boxes in enumerate(boxes):
        for x1, y1, x2, y2 in img_boxes.int().tolist():
            region = (slice(index, index + 1), slice(None), slice(y1, y2), slice(x1, x2))
            assert (out[region] != img[region]).all(), (index, x1, y1)
    assert out.shape == img.shape and torch.isfinite(out).all()


def test_hard_composite_changes_only_the_masked_pixels():
    inserter = _inserter()
    inserter.generator.composite = 'hard'
    img, mask, _, out = _run(inserter, [[[3, 4, 12, 9], [30, 30, 41, 40]]])
    assert torch.equal(out[mask == 0], img[mask == 0])
    assert (out[mask == 1] != img[mask == 1]).all()


def test_windows_are_centred_never_shifted_and_hold_the_box():
    # A box at the corner keeps its centred window, which reaches outside.
    (window, ) = context_windows([torch.tensor([[0., 0., 6., 4.]])], context=3.0, min_side=4)
    index, x0, y0, side, span = window
    assert (index, side, span) == (0, 18, (0, 0, 6, 4))
    assert (x0, y0) == (-6, -7)
    for box in ([2.3, 5.1, 9.7, 6.2], [10., 10., 11., 30.], [4.5, 4.5, 4.6, 4.6]):
        (window, ) = context_windows([torch.tensor([box])], context=1.0, margin=2)
        _, x0, y0, side, (bx0, by0, bx1, by1) = window
        assert x0 + 2 <= bx0 and bx1 + 2 <= x0 + side
        assert y0 + 2 <= by0 and by1 + 2 <= y0 + side
    assert context_windows([torch.zeros(0, 4)], 3.0) == []


def test_batch_without_boxes_returns_the_input():
    inserter = _inserter()
    img, _, _, out = _run(inserter, [[], []])
    assert out is img or torch.equal(out, img)


def test_gradients_flow_from_the_inserted_pixels_into_the_generator():
    inserter = _inserter()
    img, mask, _, out = _run(inserter, [[[5, 5, 15, 13]], [[20, 20, 30, 36]]])
    (out * mask).sum().backward()
    grads = [p.grad for p in inserter.parameters()]
    assert all(g is not None and g.abs().sum() > 0 for g in grads)


def test_window_crops_match_the_generator_windows():
    inserter = _inserter()
    img = torch.arange(40 * 48, dtype=torch.float32).reshape(1, 1, 40, 48) / 1000
    crops = inserter.window_crops(img, [torch.tensor([[10., 10., 18., 18.]])])
    (window, ) = inserter.windows([torch.tensor([[10., 10., 18., 18.]])])
    _, x0, y0, side, _ = window
    assert crops.shape == (1, 1, 16, 16) and side == 16
    # A 16 px window at crop size 16 is a plain copy.
    assert torch.equal(crops[0, 0], img[0, 0, y0:y0 + 16, x0:x0 + 16])


def test_change_paste_keeps_full_resolution_detail():
    """A window larger than the crop: an identity generator returns the image
    exactly when only its change is pasted, a blurred copy when its output is."""
    img = torch.rand(1, 1, 64, 64) * 2 - 1
    boxes = [torch.tensor([[20., 22., 36., 40.]])]
    mask = boxes_to_masks(boxes, (64, 64))
    identity = _inserter(crop_size=16, context=2.0, min_window=8)
    identity.generator.generate = lambda crops, masks: crops
    identity.paste = 'change'
    assert torch.equal(identity(img, mask, boxes), img)
    identity.paste = 'output'
    blurred = identity(img, mask, boxes)
    assert (blurred[mask == 1] - img[mask == 1]).abs().mean() > 0.1
    # Brightening the crop brightens the box by the same amount, texture kept.
    identity.generator.generate = lambda crops, masks: crops + 0.25 * masks
    identity.paste = 'change'
    out = identity(img, mask, boxes)
    core = (slice(None), slice(None), slice(25, 37), slice(23, 33))
    expected = (img[core] + 0.25).clamp(-1, 1)
    assert torch.allclose(out[core], expected, atol=1e-5)
    outside = ~_window_mask(identity.windows(boxes), img.shape)
    assert torch.equal(out[outside], img[outside])


def test_paste_follows_the_generator_output_unless_set():
    assert _inserter().paste == 'output'
    residual = LocalCropInserter({**GEN, 'output': 'residual'}, crop_size=16)
    assert residual.paste == 'change'
    assert LocalCropInserter({**GEN, 'output': 'residual'}, crop_size=16,
                             paste='output').paste == 'output'


@pytest.mark.parametrize('kwargs, match', [
    (dict(crop_size=15), 'crop_size'), (dict(context=0.5), 'context'),
    (dict(min_window=0), 'min_window'), (dict(paste='add'), 'paste')])
def test_bad_settings_are_rejected_by_name(kwargs, match):
    with pytest.raises(ValueError, match=match):
        _inserter(**kwargs)


def test_boxes_outside_the_image_are_refused():
    inserter = _inserter()
    img = torch.zeros(1, 1, 20, 20)
    boxes = [torch.tensor([[60., 60., 70., 70.]])]
    with pytest.raises(ValueError, match='outside'):
        inserter(img, torch.zeros(1, 1, 20, 20), boxes)
