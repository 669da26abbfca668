# Stage 2 of two-stage GAN training on mini-MIAS: the Lite0 local-crop DetectorGAN (detector in
# the loop, exact unroll) started from stage 1's generators and discriminators, 300 iterations,
# the detector terms ramped in over the first 100. Set the stage-1 checkpoint and the trained
# real-only detector:
#   --cfg-options model.init_from=work_dirs/<stage-1 run>/iter_4000.pth \
#                 model.detector_checkpoint=work_dirs/<real-only run>/iter_1000.pth
_base_ = ['./dgan_retinanet-effnet-lite0_local-crop_1xb4-2k_mini-mias.py',
          './_base_/models/dgan_two-stage.py']

model = dict(_base_.data_efficient_discs, train_cfg=dict(det_ramp_iters=100),
             init_from='work_dirs/stage1_local-crop_mini-mias/iter_4000.pth')
train_cfg = dict(max_iters=300, val_interval=300)
param_scheduler = dict(
    detector=[dict(type='LinearLR', start_factor=0.1, by_epoch=False, begin=0, end=20)])
default_hooks = dict(checkpoint=dict(interval=100, max_keep_ckpts=1), logger=dict(interval=20))
