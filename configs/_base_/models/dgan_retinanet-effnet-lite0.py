# DetectorGAN with the downstream RetinaNet on the ImageNet EfficientNet-Lite0 in the
# loop (configs/detector/_base_/models/retinanet_effnet-lite0.py). Start the in-loop
# detector trained, e.g. from the real-only detector of the same data and seed:
#   --cfg-options model.detector_checkpoint=work_dirs/real/iter_1000.pth
# (without it the detector starts from the ImageNet backbone and a fresh head).
_base_ = ['../../detector/_base_/models/retinanet_effnet-lite0.py', './detector_gan.py']

model = dict(_base_.detector_gan, _delete_=True, detector=_base_.model,
             detector_checkpoint=None)
