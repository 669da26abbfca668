# DetectorGAN trained long on the demo data (tools/make_demo_data.py -> data/demo/), with
# the inserter of the mini-MIAS local-crop config: residual G_X/G_Y on 64-px context windows
# pasting only their change, detector terms x0.1, in-loop detector on real images only.
# 1000 iterations, batch 2, 256 px; start the in-loop detector from the real-only detector:
#   --cfg-options model.detector_checkpoint=work_dirs/<real-only run>/iter_1000.pth
# (configs/detector/retinanet_effnet-lite0_1xb4-1000it_demo.py). The insertion-quality curve
# (InsertionQualityHook) shows whether 1000 iterations are enough.
_base_ = [
    './_base_/models/dgan_retinanet-effnet-lite0.py', './_base_/datasets/demo_unpaired.py',
    './_base_/schedules/dgan_warm-det_2k.py', './_base_/default_runtime.py'
]
model = dict(local_crop=dict(crop_size=64, context=3.0, min_window=16, paste='change'),
             train_cfg=dict(pool_size=50, syn_ratio=0.0), inserter_ema=dict(momentum=0.01),
             generator_x=dict(output='residual'), generator_y=dict(output='residual'),
             loss_weights=dict(det_syn=0.1, unroll=0.1),
             disc_global_x=dict(downsample=2), disc_global_y=dict(downsample=2))
train_cfg = dict(max_iters=1000, val_interval=1000)
train_dataloader = dict(batch_size=2, num_workers=0, persistent_workers=False)
default_hooks = dict(checkpoint=dict(interval=100, max_keep_ckpts=2), logger=dict(interval=20))
custom_hooks = [
    dict(type='GANVisualizationHook', interval=100),
    dict(type='InsertionQualityHook', interval=100, clean_ann_file='clean_val.json',
         real_ann_file='train.json', num_images=40)
]
