# Stage 2 of two-stage GAN training on mini-MIAS: the Lite0 local-crop DetectorGAN (detector in
# the loop, exact unroll) started from stage 1's generators and discriminators, 300 iterations,
# the detector terms ramped in over the first 100. Set the stage-1 checkpoint (the one its
# InsertionQualityHook reads lowest) and the trained real-only detector:
#   --cfg-options model.init_from=work_dirs/<stage-1 run>/iter_<N>.pth \
#                 model.detector_checkpoint=work_dirs/<real-only run>/iter_1000.pth
# Detector-term weights at gradient parity with the local adversarial term: at 0.1 each (the
# base's) L_det^syn pulled G_X 17x and the unroll 10x harder than it and took the raw inserter
# from 0.51 to 0.98 x clean in 30 iterations (1.68 with L_det^syn alone); at 0.005 / 0.01 it
# stayed at 0.51 (0.40 after 100) for the same drop of the detector's loss on the insertions
# (results/README.md, two-stage, second round; tools/analysis_tools/generator_grad_norms.py).
_base_ = ['./dgan_retinanet-effnet-lite0_local-crop_1xb4-2k_mini-mias.py',
          './_base_/models/dgan_two-stage.py']

model = dict(_base_.data_efficient_discs, train_cfg=dict(det_ramp_iters=100),
             loss_weights=dict(det_syn=0.005, unroll=0.01),
             init_from='work_dirs/stage1_local-crop_mini-mias/iter_4000.pth')
train_cfg = dict(max_iters=300, val_interval=300)
param_scheduler = dict(
    detector=[dict(type='LinearLR', start_factor=0.1, by_epoch=False, begin=0, end=20)])
default_hooks = dict(checkpoint=dict(interval=100, max_keep_ckpts=1), logger=dict(interval=20))
