# DetectorGAN with a RetinaNet-R18 detector, grayscale images, one class.
# Everything trains from scratch (init_cfg=None: nothing is downloaded). To
# start the backbone from a local checkpoint, set e.g.
#   model.detector.backbone.init_cfg=dict(type='Pretrained', checkpoint='/path/resnet18.pth')
_base_ = ['../../detector/_base_/models/retinanet_r18_scratch.py', './detector_gan.py']

# The same from-scratch RetinaNet-R18 as the downstream detector configs.
model = dict(_base_.detector_gan, _delete_=True, detector=_base_.model)
