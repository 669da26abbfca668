# Stage 1 of two-stage GAN training on mini-MIAS: the generators and the local discriminator of
# the Lite0 local-crop DetectorGAN alone, on the box windows, batch 4 (no detector, no
# validation). Measured (results/README.md, two-stage, second round): every variant tried
# (DiffAugment, R1, both, 4x lower learning rates, LeCam) is closest to real lesions somewhere in
# the first 400 iterations and drifts above the clean films from 500-700 on, so this config
# trains 1000 iterations with a checkpoint and an InsertionQualityHook reading on clean_val
# every 100: stage 2 starts from the checkpoint with the lowest reading; score it on clean_test,
# not on the films that picked it (CLEAN=clean_test.json tools/analysis_tools/checkpoint_quality.sh).
# Stage 2:
#   configs/dgan_retinanet-effnet-lite0_local-crop_stage2_1xb4-300it_mini-mias.py
_base_ = ['./dgan_retinanet-effnet-lite0_local-crop_1xb4-2k_mini-mias.py',
          './_base_/models/dgan_two-stage.py']

model = dict(_base_.stage1_model)
optim_wrapper = dict(_base_.stage1_optim_wrapper, _delete_=True)
param_scheduler = dict(_delete_=True, generators=[], discriminators=[])
train_cfg = dict(_delete_=True, type='IterBasedTrainLoop', max_iters=1000)
val_cfg = val_dataloader = val_evaluator = test_cfg = test_dataloader = test_evaluator = None

default_hooks = dict(checkpoint=dict(interval=100, max_keep_ckpts=10), logger=dict(interval=50))
custom_hooks = [
    # step_seconds: tools/analysis_tools/benchmark_train.py --stage1-config, this 2-core sandbox.
    dict(type='PlannedCostHook', step_seconds=0.15, check_after=50),
    dict(type='GANVisualizationHook', interval=500),
    dict(type='InsertionQualityHook', interval=100, clean_ann_file='clean_val.json',
         real_ann_file='train.json', num_images=40)
]
