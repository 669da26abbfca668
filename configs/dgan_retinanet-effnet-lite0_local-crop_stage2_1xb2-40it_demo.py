# Stage 2 of the two-stage demo (tools/demo.sh): the Lite0 local-crop DetectorGAN with the
# detector in the loop and the exact unroll, started from stage 1, 40 iterations with the
# detector terms ramped in over all of them:
#   --cfg-options model.init_from=work_dirs/<stage-1 run>/iter_600.pth
_base_ = ['./dgan_retinanet-effnet-lite0_local-crop_1xb2-1k_demo.py']

model = dict(data_preprocessor=dict(mask_shape='ellipse'), train_cfg=dict(det_ramp_iters=40),
             init_from='work_dirs/demo/stage1/iter_600.pth')
train_cfg = dict(max_iters=40, val_interval=40)
param_scheduler = dict(
    detector=[dict(type='LinearLR', start_factor=0.1, by_epoch=False, begin=0, end=10)])
default_hooks = dict(checkpoint=dict(interval=40, max_keep_ckpts=1), logger=dict(interval=10))
custom_hooks = [dict(type='GANVisualizationHook', interval=40)]
