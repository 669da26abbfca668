# DetectorGAN on mini-MIAS, 256 px, batch 4, exact unroll, with the downstream
# RetinaNet on ImageNet EfficientNet-Lite0 in the loop. Start that detector from the
# real-only detector of the same data and seed:
#   --cfg-options model.detector_checkpoint=work_dirs/<real-only run>/iter_1000.pth
_base_ = [
    './_base_/models/dgan_retinanet-effnet-lite0.py', './_base_/datasets/mini-mias_unpaired.py',
    './_base_/schedules/dgan_warm-det_2k.py', './_base_/default_runtime.py'
]
