# The shape of the headline learning curve (cv_mini-mias_learning-curve.py) on the demo data:
# two-stage GANs (one stage-1 GAN per fold and fraction, DetectorGAN started from it), the
# stage-1 GAN and the steps-matched control as arms, and a second fold split at 50 % only.
# A smoke run (results/README.md, headline section):
#   python tools/experiments/cross_validation.py configs/experiments/cv_demo-learning-curve.py \
#       --cfg-options real_epochs=0.05 gan_iters=2
_base_ = ['./cv_demo-quick.py']

data = 'demo-lc'
arms = ['real', 'real-steps', 'copy-paste', 'gan-stage1', 'dgan']
fractions = [0.5, 1.0]
lc_arms = ['real', 'dgan']
lc_control_arms = ['real-steps', 'copy-paste', 'gan-stage1']
extra_fold_seeds = [1]
extra_fold_fractions = [0.5]
quality_images = 0

gan_configs = dict(
    _delete_=True,
    **{'gan-stage1': 'configs/dgan_stage1_local-crop_1xb2-600it_demo.py',
       'dgan': 'configs/dgan_retinanet-effnet-lite0_local-crop_stage2_1xb2-40it_demo.py'})
gan_init_from = {'dgan': 'gan-stage1'}
gan_options = {'custom_hooks': []}  # as the headline: training-time hooks off
# Stage 1 / stage 2 step seconds: benchmark_train.py on this 2-core sandbox (issue 31).
costs = dict(gan_step_stage1=0.12, gan_step=2.4)

work_dir = 'work_dirs/cv/demo-lc'
results_dir = 'results/demo-lc'
