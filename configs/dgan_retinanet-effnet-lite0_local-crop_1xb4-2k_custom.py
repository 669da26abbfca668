# DetectorGAN on your own converted dataset folder (docs/your-data.md): the local-crop
# inserter of the mini-MIAS arm with the RetinaNet on ImageNet EfficientNet-Lite0 in
# the loop, for any COCO or VOC folder, grey or colour, one class or several.
#   python tools/train.py configs/dgan_retinanet-effnet-lite0_local-crop_1xb4-2k_custom.py \
#       --cfg-options data_root=data/my-set/
# Classes, channels, image size and insertion region are read from the folder; with
# several classes the inserter and the local discriminator are class-conditional.
_base_ = [
    './_base_/models/dgan_retinanet-effnet-lite0.py', './_base_/datasets/custom_unpaired.py',
    './_base_/schedules/dgan_warm-det_2k.py', './_base_/default_runtime.py'
]
model = dict(local_crop=dict(crop_size=64, context=3.0, min_window=16, paste='change'),
             train_cfg=dict(pool_size=50, syn_ratio=0.0), inserter_ema=dict(momentum=0.01),
             generator_x=dict(output='residual'), generator_y=dict(output='residual'),
             loss_weights=dict(det_syn=0.1, unroll=0.1),
             disc_global_x=dict(downsample=2), disc_global_y=dict(downsample=2))
custom_hooks = [dict(type='GANVisualizationHook', interval=100)]
