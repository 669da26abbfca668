"""Held-out and calibration inputs of a class-conditional (several-class) export."""
import numpy as np

from mmdgan.deploy.quantize import edited_region, heldout_inputs


def test_heldout_masks_cover_every_class_channel():
    images, masks = heldout_inputs(3, None, 12, 32, offset=0, num_classes=3)
    assert images.shape == (12, 3, 32, 32) and masks.shape == (12, 3, 32, 32)
    per_image = (masks.reshape(12, 3, -1).max(-1) > 0).sum(1)
    assert (per_image == 1).all()  # each image's boxes in one class channel
    assert (masks.reshape(12, 3, -1).max((0, 2)) > 0).all()  # every channel used
    region = edited_region(images, masks, images)
    assert region.shape == (12, 1, 32, 32) and region.any()


def test_one_class_inputs_are_unchanged():
    a = heldout_inputs(1, None, 4, 32, offset=0)
    b = heldout_inputs(1, None, 4, 32, offset=0, num_classes=1)
    assert all(np.array_equal(x, y) for x, y in zip(a, b)) and a[1].shape[1] == 1
