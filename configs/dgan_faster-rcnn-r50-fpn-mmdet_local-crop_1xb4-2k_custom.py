# DetectorGAN on your own dataset folder with mmdet's own Faster R-CNN R-50 FPN in the
# loop (docs/your-data.md): the generic config with the detector taken from mmdet's
# model zoo by name. Its ResNet-50 would start from torchvision:// ImageNet weights,
# a download: start it from scratch here, or from a local copy with
#   detector_init_cfg = dict(type='Pretrained', checkpoint='/path/to/resnet50.pth')
_base_ = './dgan_retinanet-effnet-lite0_local-crop_1xb4-2k_custom.py'
detector_config = 'mmdet::faster_rcnn/faster-rcnn_r50_fpn_1x_coco.py'
detector_init_cfg = None
