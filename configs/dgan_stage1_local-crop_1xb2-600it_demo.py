# Stage 1 of the two-stage demo (tools/demo.sh): the GAN alone on the demo data's box windows,
# 600 iterations, batch 2, with ellipse masks (the demo lesions are round blobs). No DiffAugment
# or R1 here: at 600 iterations they slow the inserter down (results/README.md, two-stage).
_base_ = ['./dgan_retinanet-effnet-lite0_local-crop_1xb2-1k_demo.py',
          './_base_/models/dgan_two-stage.py']

model = dict(_base_.stage1_model, disc_augment=None, r1=None,
             data_preprocessor=dict(mask_shape='ellipse'))
optim_wrapper = dict(_base_.stage1_optim_wrapper, _delete_=True)
param_scheduler = dict(_delete_=True, generators=[], discriminators=[])
train_cfg = dict(_delete_=True, type='IterBasedTrainLoop', max_iters=600)
val_cfg = val_dataloader = val_evaluator = test_cfg = test_dataloader = test_evaluator = None

default_hooks = dict(checkpoint=dict(interval=200, max_keep_ckpts=1), logger=dict(interval=50))
custom_hooks = [
    # step_seconds: tools/analysis_tools/benchmark_train.py --stage1-config, this 2-core sandbox.
    dict(type='PlannedCostHook', step_seconds=0.12, check_after=50),
    dict(type='GANVisualizationHook', interval=200),
]
