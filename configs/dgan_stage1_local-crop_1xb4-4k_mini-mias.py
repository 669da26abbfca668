# Stage 1 of two-stage GAN training on mini-MIAS: the generators and the local discriminator of
# the Lite0 local-crop DetectorGAN alone, on the box windows, 4000 iterations, batch 4
# (no detector, no validation). Measured (results/README.md, two-stage): the insertions are
# closest to real lesions at ~250 iterations and drift after; pick the checkpoint by the
# InsertionQualityHook curve. Stage 2 starts from its checkpoint:
#   configs/dgan_retinanet-effnet-lite0_local-crop_stage2_1xb4-300it_mini-mias.py
_base_ = ['./dgan_retinanet-effnet-lite0_local-crop_1xb4-2k_mini-mias.py',
          './_base_/models/dgan_two-stage.py']

model = dict(_base_.stage1_model)
optim_wrapper = dict(_base_.stage1_optim_wrapper, _delete_=True)
param_scheduler = dict(_delete_=True, generators=[], discriminators=[])
train_cfg = dict(_delete_=True, type='IterBasedTrainLoop', max_iters=4000)
val_cfg = val_dataloader = val_evaluator = test_cfg = test_dataloader = test_evaluator = None

default_hooks = dict(checkpoint=dict(interval=500, max_keep_ckpts=2), logger=dict(interval=50))
custom_hooks = [
    # step_seconds: tools/analysis_tools/benchmark_train.py --stage1-config, this 2-core sandbox.
    dict(type='PlannedCostHook', step_seconds=0.15, check_after=50),
    dict(type='GANVisualizationHook', interval=500),
    dict(type='InsertionQualityHook', interval=500, clean_ann_file='clean_val.json',
         real_ann_file='train.json', num_images=40)
]
