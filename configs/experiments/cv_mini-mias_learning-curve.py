# The headline experiment of issue 32 on mini-MIAS: a learning curve (10 / 25 / 50 / 100 % of
# the labelled training films) of six arms, with the power at 25 % the issue asks for bought by
# repeating the 5-fold split there (results/README.md, "Headline: the learning curve").
#   python tools/experiments/cross_validation.py \
#       configs/experiments/cv_mini-mias_learning-curve.py --dry-run
_base_ = ['./cv_mini-mias.py']

# Same data, folds (fold seed 0), detector recipe and schedule as the 2 Dec comparison, so its
# real-only and steps-matched units (seed 0 at 25 / 50 / 100 %) have this run's fingerprints:
# copy them before the first run and they are never retrained (4.2 core-hours saved):
#   mkdir -p results/mini-mias-lc/units/det && cp results/mini-mias-cv/units/det/real{,-steps}_\
#       fold?_seed0{,_frac0.25,_frac0.5}.json results/mini-mias-lc/units/det/
results_dir = 'results/mini-mias-lc'
work_dir = 'work_dirs/cv/mini-mias-lc'

# Arms at every fraction: real only; real only at the augmented arms' steps; copy-paste; the
# stage-1 GAN (no detector); DetectorGAN = stage 1 + stage 2 (detector in the loop, unroll).
# DetectorGAN without the unroll runs at 25 % only (named for that fraction alone).
arms = ['real', 'real-steps', 'copy-paste', 'gan-stage1', 'dgan']
late_arms = []
fractions = [0.1, 0.25, 0.5, 1.0]
lc_arms = ['real', 'dgan']
lc_arms_by_fraction = {'0.25': ['real', 'dgan', 'dgan-nounroll']}
# Controls: every curve arm is paired with each (DetectorGAN's goal: above the steps-matched
# control, copy-paste and the stage-1 GAN at 25 %).
lc_control_arms = ['real-steps', 'copy-paste', 'gan-stage1']

# Power (results/README.md): the pair spread at 25 % needs ~93 folds x 3 seeds to find a +20 %
# gain, far beyond 60 core-hours. Bought instead: one detector seed, the whole curve on the
# first 5-fold split, and 25 % alone on 5 further splits: 30 folds at 25 %, which find
# +0.020 AP50 (0.45 x the steps-matched control) with 80 % power. 58.7 core-hours planned.
seeds = [0]
extra_fold_seeds = [1, 2, 3, 4, 5]
extra_fold_fractions = [0.25]
sweep_ratios = []
extra_gan_seeds = 0
quality_images = 0  # insertion quality: tools/analysis_tools/checkpoint_quality.sh (issue 31)

# One stage-1 GAN per fold, fraction and fold seed, shared by both stage-2 arms.
gan_configs = dict(
    _delete_=True,
    **{'gan-stage1': 'configs/dgan_stage1_local-crop_1xb4-1k_mini-mias.py',
       'dgan': 'configs/dgan_retinanet-effnet-lite0_local-crop_stage2_1xb4-300it_mini-mias.py',
       'dgan-nounroll':
       'configs/dgan_retinanet-effnet-lite0_local-crop_stage2_nounroll_1xb4-300it_mini-mias.py'})
gan_init_from = {'dgan': 'gan-stage1', 'dgan-nounroll': 'gan-stage1'}
gan_iters = 300  # stage 1: its quality is best at ~250 iterations and drifts after 500
# The GAN configs' training-time hooks (insertion quality on the data folder's clean_val films,
# image grids) record nothing the comparison keeps, cost minutes per GAN and read films of
# every fold: off (the base's other gan_options stay).
gan_options = {'custom_hooks': []}

# Seconds per step, 1 thread, two runs side by side. det_step and the 2 Dec GANs' 5.6 / 2.9 s held
# to 1 % over that run; the two-stage steps are scaled from them by benchmark_train.py ratios
# taken under load (results/README.md, headline section): stage 2 1.03 x the 2 Dec DetectorGAN
# step (6.0 with a margin), stage 2 without unroll kept at 2.9, stage 1 0.026 x stage 2 (0.2).
# The goal is decided at 25 %: its units (all six splits) run before the rest of the curve, so
# a run cut short by its session has the 25 % comparison as complete as it can be; there the
# ablation without unroll (not in the goal; 6.8 core-hours) waits for the arms that decide it.
execution = dict(first_fraction=0.25, last_arms=['dgan-nounroll'])

costs = dict(_delete_=True, det_step=0.76, gan_step=6.0, gan_step_nounroll=2.9,
             gan_step_stage1=0.2, process=25, score_image=0.1, synth_image=0.3,
             quality_image=0.1)
