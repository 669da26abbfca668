"""mmcv's compiled ops must load and run on CPU (mmcv was built with MMCV_WITH_OPS=1)."""
import torch
from mmcv.ops import RoIAlign, nms


def test_nms_suppresses_overlapping_box():
    boxes = torch.tensor([[0, 0, 10, 10], [1, 1, 11, 11], [20, 20, 30, 30]], dtype=torch.float32)
    scores = torch.tensor([0.9, 0.8, 0.7])
    dets, keep = nms(boxes, scores, iou_threshold=0.5)
    assert keep.tolist() == [0, 2]
    assert torch.allclose(dets[:, 4], torch.tensor([0.9, 0.7]))


def test_roi_align_pools_inside_the_roi():
    roi_align = RoIAlign((2, 2), spatial_scale=1.0, sampling_ratio=2, aligned=True)
    rois = torch.tensor([[0, 1, 1, 5, 5]], dtype=torch.float32)
    constant = torch.full((1, 1, 8, 8), 3.0)
    assert torch.allclose(roi_align(constant, rois), torch.full((1, 1, 2, 2), 3.0))
    # On a horizontal ramp f(x, y) = x (pixel centres at x + 0.5), bilinear sampling
    # is exact: the bins of RoI x in [1, 5] average x - 0.5 over [1, 3] and [3, 5].
    ramp = torch.arange(8, dtype=torch.float32).repeat(8, 1).reshape(1, 1, 8, 8)
    out = roi_align(ramp, rois)[0, 0]
    assert torch.allclose(out, torch.tensor([[1.5, 3.5], [1.5, 3.5]]), atol=1e-5)
