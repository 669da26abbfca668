# The cross-validated comparison on mini-MIAS (issue 12; results/README.md): patient-level
# 5-fold CV x 3 detector seeds, five arms plus the steps-matched control and the unroll-only
# arm, a learning curve at 25 / 50 % with its controls, a ratio sweep and a second GAN seed
# on fold 0. Local-crop GANs (issue 11) of 300 iterations at batch 4; RetinaNet on ImageNet
# EfficientNet-Lite0 at 256 px, 30 epochs over the real films. ~60 core-hours.
#   python tools/experiments/cross_validation.py configs/experiments/cv_mini-mias.py --dry-run
_base_ = ['./_base_/cv.py']

data = 'mini-mias-cv'
# tools/dataset_converters/mini_mias.py ../shared/data/mini-mias --out data/mini-mias --size 512
data_root = 'data/mini-mias/'
info_file = '../shared/data/mini-mias/Info.txt'  # strata: abnormality class; patients 2k-1, 2k

# The five arms, then real only at the augmented steps and DetectorGAN with the unroll
# only (the fifth and sixth rounds of results/mini-mias/gan_diag/), run after the rest.
arms = ['real', 'copy-paste', 'gan-nodet', 'dgan-nounroll', 'dgan', 'real-steps',
        'dgan-unroll']
late_arms = ['real-steps', 'dgan-unroll']
seeds = [0, 1, 2]

det_config = 'configs/detector/retinanet_effnet-lite0_1xb4-1000it_mini-mias.py'
det_syn_config = 'configs/detector/retinanet_effnet-lite0_1xb4-1000it_mini-mias_real-syn.py'
det_options = {'default_hooks.checkpoint.interval': 100}
real_epochs = 30

gan_configs = {
    arm: f'configs/dgan_retinanet-effnet-lite0_local-crop{variant}_1xb4-2k_mini-mias.py'
    for arm, variant in (('dgan', ''), ('dgan-nounroll', '_nounroll'), ('gan-nodet', '_nodet'),
                         ('dgan-unroll', '_unroll-only'))}
gan_iters = 300
gan_options = {'train_dataloader.num_workers': 0,
               'train_dataloader.persistent_workers': False,
               'default_hooks.checkpoint.interval': 25,
               'default_hooks.checkpoint.max_keep_ckpts': 1}

fractions = [0.25, 0.5, 1.0]
# Copy-paste on the learning curve too: a DetectorGAN gain where labels are few could
# come from the clean films as backgrounds, whatever is inserted. Real only at the
# augmented arms' iteration count: equal real exposure gives those twice the steps.
lc_control_arms = ['copy-paste', 'real-steps']
sweep_ratios = [0.5, 2.0]
extra_gan_seeds = 1

# Seconds per step with 1 thread and two runs side by side on the quiet 2-core machine
# (detector: the fs2_2k pilot; GANs: benchmark_train.py at 2 threads x 1.6).
costs = dict(det_step=0.76, gan_step=5.6, gan_step_nounroll=2.9,
             gan_step_nodet=2.7, process=25, score_image=0.1, synth_image=0.3,
             **{'gan_step_unroll-only': 5.0})

work_dir = 'work_dirs/cv/mini-mias-cv'
results_dir = 'results/mini-mias-cv'
